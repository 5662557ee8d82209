import Foundation

/// The fetched SNS signing certificates that passed the chain check, by URL.
///
/// It exists so each certificate is fetched and chain-checked once, not per message.
/// Thread-safe and small (Amazon rotates few certificates); an entry is used only while
/// all its certificates are within their validity dates.
final class SNSCertificateCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [X509Certificate]] = [:]
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// The verified chain (leaf first) for `url`, if cached and valid at `date`.
    func chain(for url: String, at date: Date) -> [X509Certificate]? {
        lock.lock()
        defer { lock.unlock() }
        guard let chain = entries[url] else { return nil }
        guard chain.allSatisfy({ $0.isValid(at: date) }) else {
            entries[url] = nil
            return nil
        }
        return chain
    }

    func store(_ chain: [X509Certificate], for url: String) {
        lock.lock()
        defer { lock.unlock() }
        if entries[url] == nil, entries.count >= capacity {
            entries.removeAll()  // a flood of distinct valid Amazon URLs is not expected
        }
        entries[url] = chain
    }
}
