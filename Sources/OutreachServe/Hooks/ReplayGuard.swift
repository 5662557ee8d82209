import Foundation

/// Remembers the Mailgun webhook tokens already accepted, so a captured request cannot
/// be replayed with another body.
///
/// It exists because Mailgun's signature covers only `timestamp + token`, not the body.
/// In memory, thread-safe, and bounded: a token is kept until its request would be
/// stale anyway; past `capacity` tokens the oldest are forgotten first. Share one
/// instance between all `MailgunHook` values of a process. (A restart forgets: requests
/// are then still bounded by the age check.)
public final class ReplayGuard: @unchecked Sendable {
    /// What the guard knew about a token.
    enum Verdict: Equatable {
        /// First sighting: the token is now remembered.
        case fresh
        /// Seen before with the same body: a provider retry.
        case retry
        /// Seen before with another body.
        case replay
    }

    private struct Entry {
        let bodyDigest: [UInt8]
        let expiresAt: Date
    }

    private let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Tokens in insertion order; `head` is the oldest still in `order`.
    private var order: [String] = []
    private var head = 0

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Records `token` (valid until `expiresAt`) with the digest of its body, unless known.
    func check(token: String, bodyDigest: [UInt8], expiresAt: Date, now: Date) -> Verdict {
        lock.lock()
        defer { lock.unlock() }
        evict(now: now)
        if let entry = entries[token], entry.expiresAt >= now {
            return ConstantTime.equal(entry.bodyDigest, bodyDigest) ? .retry : .replay
        }
        if entries[token] == nil { order.append(token) }
        entries[token] = Entry(bodyDigest: bodyDigest, expiresAt: expiresAt)
        while entries.count > capacity { dropOldest() }
        return .fresh
    }

    /// How many tokens are remembered (for tests).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    /// Drops expired tokens from the front of the queue (later ones expire on look-up).
    private func evict(now: Date) {
        while head < order.count {
            let token = order[head]
            if let entry = entries[token], entry.expiresAt >= now { break }
            entries[token] = nil
            head += 1
        }
        compact()
    }

    private func dropOldest() {
        guard head < order.count else { return }
        entries[order[head]] = nil
        head += 1
        compact()
    }

    private func compact() {
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
