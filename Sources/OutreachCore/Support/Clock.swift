import Foundation

/// The one source of "now" for the whole core.
///
/// Every rule that depends on time (windows, quotas, cooldowns, backoff, leases) reads the
/// clock through this protocol, so tests and `--now` replays can pin time exactly.
/// Values are truncated to whole seconds, the resolution the database stores.
public protocol WallClock: Sendable {
    /// The current instant, in whole seconds.
    func now() -> Date
}

/// The real clock of the machine.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }
}

/// A clock frozen at one instant: what `--now` gives an invocation.
public struct FixedClock: WallClock {
    public let instant: Date

    public init(_ instant: Date) {
        self.instant = Date(timeIntervalSince1970: instant.timeIntervalSince1970.rounded(.down))
    }

    public func now() -> Date { instant }
}
