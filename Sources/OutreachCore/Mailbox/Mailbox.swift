import Foundation

/// A sending mailbox as its file defines it (SPEC §12): how much it may send per day of its
/// own zone, how fast it warms up, and how far apart its sends must be, whichever campaigns
/// send from it.
public struct Mailbox: Sendable, Equatable {
    /// Lower-cased bare address.
    public var address: String
    /// The zone whose calendar day `dailyCap` counts.
    public var timezone: String
    public var dailyCap: Int
    public var warmup: Warmup?
    public var minGapSeconds: Int
    /// Each message adds a deterministic 0…jitter seconds to the gap after it.
    public var jitterSeconds: Int
    /// nil: the defaults.
    public var guardrails: Guardrails?

    /// A ramp for a young mailbox: day n of sending allows `min(daily_cap, start + increase * n)`.
    public struct Warmup: Sendable, Equatable {
        public var start: Int
        public var increase: Int

        public init(start: Int, increase: Int) {
            self.start = start
            self.increase = increase
        }
    }

    public init(address: String, timezone: String, dailyCap: Int, warmup: Warmup? = nil, minGapSeconds: Int = 0,
                jitterSeconds: Int = 0, guardrails: Guardrails? = nil) {
        self.address = address
        self.timezone = timezone
        self.dailyCap = dailyCap
        self.warmup = warmup
        self.minGapSeconds = minGapSeconds
        self.jitterSeconds = jitterSeconds
        self.guardrails = guardrails
    }

    public var effectiveGuardrails: Guardrails { guardrails ?? .defaults }

    public var timeZone: TimeZone { TimeZone(identifier: timezone) ?? TimeZone(identifier: "UTC")! }

    /// The warm-up day of `day`: 0 on the day of the first send (and before it).
    public static func warmupDay(_ day: String, firstSendDay: String?) -> Int {
        guard let firstSendDay, let from = dayNumber(firstSendDay), let to = dayNumber(day) else { return 0 }
        return max(0, to - from)
    }

    /// How many sends `day` allows: the cap, or less while warming up. The tick's conditional
    /// update computes the same in SQL (`MailboxQueries.claim`).
    public func allowance(on day: String, firstSendDay: String?) -> Int {
        guard let warmup else { return dailyCap }
        let ramp = warmup.start + warmup.increase * Self.warmupDay(day, firstSendDay: firstSendDay)
        return min(dailyCap, ramp)
    }

    /// The message's share of jitter: a deterministic 0…jitterSeconds from its idempotency key
    /// (FNV-1a), so a replayed tick spaces its sends exactly as the first did.
    public func jitter(for key: String) -> Int {
        guard jitterSeconds > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(jitterSeconds + 1))
    }

    /// The earliest whole second after which the next send may go: `now + gap + jitter`,
    /// rounded up so that no two sends are ever closer than `min_gap`.
    public func nextSendAt(after now: Date, key: String) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(minGapSeconds + jitter(for: key))).rounded(.up))
    }

    /// The mailbox-local day of an instant (`YYYY-MM-DD`).
    public func day(of instant: Date) -> String {
        QuotaDay.of(instant, in: timeZone)
    }

    /// The next mailbox-local midnight after `instant`.
    public func nextDayStart(after instant: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: instant)
        return calendar.date(byAdding: .day, value: 1, to: today) ?? today.addingTimeInterval(86_400)
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` day.
    static func dayNumber(_ day: String) -> Int? {
        Timestamp.parse(day + "T00:00:00Z").map { Int(($0.timeIntervalSince1970 / 86_400).rounded(.down)) }
    }
}

/// A mailbox with what the database keeps about it: pause, today's count, its gap.
public struct StoredMailbox: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        case active, paused
    }

    public let id: Int64
    public var mailbox: Mailbox
    public var status: Status
    public var statusReason: String?
    /// Paused by its guardrails rather than by an operator.
    public var autoPaused: Bool
    /// The last resume: the guardrail rates count from here.
    public var guardrailsSince: Date?
    /// The mailbox-local day `sentToday` counts.
    public var day: String?
    public var sentToday: Int
    public var firstSendDay: String?
    public var lastSendAt: Date?
    public var nextSendAt: Date?

    public init(id: Int64, mailbox: Mailbox, status: Status = .active, statusReason: String? = nil, autoPaused: Bool = false,
                guardrailsSince: Date? = nil, day: String? = nil, sentToday: Int = 0, firstSendDay: String? = nil,
                lastSendAt: Date? = nil, nextSendAt: Date? = nil) {
        self.id = id
        self.mailbox = mailbox
        self.status = status
        self.statusReason = statusReason
        self.autoPaused = autoPaused
        self.guardrailsSince = guardrailsSince
        self.day = day
        self.sentToday = sentToday
        self.firstSendDay = firstSendDay
        self.lastSendAt = lastSendAt
        self.nextSendAt = nextSendAt
    }

    public var address: String { mailbox.address }

    /// Sends counted on `day` (0 once the mailbox's day has moved on).
    public func sent(on day: String) -> Int {
        self.day == day ? sentToday : 0
    }

    /// Today's allowance at `instant`, warm-up included.
    public func allowance(at instant: Date) -> Int {
        mailbox.allowance(on: mailbox.day(of: instant), firstSendDay: firstSendDay)
    }

    /// Sends left today at `instant`.
    public func capacityLeft(at instant: Date) -> Int {
        let day = mailbox.day(of: instant)
        return max(0, mailbox.allowance(on: day, firstSendDay: firstSendDay) - sent(on: day))
    }

    /// Whether the mailbox may send at `instant`, and if not, why and until when. The same
    /// rules as the conditional update, which has the last word.
    public func availability(at instant: Date) -> MailboxAvailability {
        if status == .paused { return .paused(reason: statusReason) }
        let left = capacityLeft(at: instant)
        if left <= 0 { return .cap(until: mailbox.nextDayStart(after: instant), allowance: allowance(at: instant)) }
        if let next = nextSendAt, next > Self.wholeSecond(instant) { return .gap(until: next) }
        return .ready(capacityLeft: left)
    }

    /// When the `position`-th lead waiting for this mailbox (0 = the next) can expect its
    /// send, if nothing else claims it first: the gap and the daily allowance, day after day.
    /// An estimate for postponing and for `leads show`; the claim decides.
    public func estimatedSlot(position: Int, at instant: Date) -> Date {
        let gap = Double(max(mailbox.minGapSeconds, 1))
        var start = max(instant, nextSendAt ?? instant)
        var day = mailbox.day(of: start)
        var used = sent(on: day)
        let first = firstSendDay ?? day
        var remaining = position
        for _ in 0..<400 {
            let left = max(0, mailbox.allowance(on: day, firstSendDay: first) - used)
            if remaining < left { return start.addingTimeInterval(Double(remaining) * (mailbox.minGapSeconds == 0 ? 0 : gap)) }
            remaining -= left
            start = max(start, mailbox.nextDayStart(after: start))
            day = mailbox.day(of: start)
            used = 0
        }
        return start
    }

    /// Timestamps are kept in whole seconds; so is "now" when compared with them.
    static func wholeSecond(_ instant: Date) -> Date {
        Date(timeIntervalSince1970: instant.timeIntervalSince1970.rounded(.down))
    }
}

/// Whether a mailbox can send now.
public enum MailboxAvailability: Sendable, Equatable {
    case ready(capacityLeft: Int)
    case paused(reason: String?)
    /// Today's allowance is used up; the next day of its zone starts at `until`.
    case cap(until: Date, allowance: Int)
    /// Inside its minimum gap (plus jitter) until `until`.
    case gap(until: Date)
}
