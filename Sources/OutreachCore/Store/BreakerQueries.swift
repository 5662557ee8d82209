import Foundation

/// A transport's circuit breaker as stored.
public struct BreakerState: Sendable, Equatable {
    /// The breaker's states.
    public enum State: String, Sendable {
        /// Dispatch flows.
        case closed
        /// Dispatch is stopped until `openUntil`.
        case open
        /// The cool-down passed; the next dispatch is the trial that decides.
        case halfOpen = "half_open"
    }

    public var key: String
    public var state: State
    public var consecutiveFailures: Int
    public var openedAt: Date?
    public var openUntil: Date?
}

/// The SQL of circuit breakers, one row per transport key.
public enum BreakerQueries {
    /// The breaker of a transport, or nil when it never failed.
    public static func state(_ db: any SQLConnection, key: String) throws -> BreakerState? {
        try SQLRecord.fetchOne(db, sql: """
            SELECT state, consecutive_failures, opened_at, open_until FROM circuit_breakers WHERE transport_key = ?
            """, arguments: [key]).map { row in
            BreakerState(key: key, state: BreakerState.State(rawValue: row[0]) ?? .closed, consecutiveFailures: row[1],
                         openedAt: (row[2] as String?).flatMap(Timestamp.parse), openUntil: (row[3] as String?).flatMap(Timestamp.parse))
        }
    }

    /// Stores a breaker's new state.
    static func save(_ db: any SQLConnection, _ breaker: BreakerState, now: Date) throws {
        try db.execute(sql: """
            INSERT INTO circuit_breakers (transport_key, state, consecutive_failures, opened_at, open_until, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (transport_key) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
                opened_at = excluded.opened_at, open_until = excluded.open_until, updated_at = excluded.updated_at
            """, arguments: [breaker.key, breaker.state.rawValue, breaker.consecutiveFailures, Timestamp.format(breaker.openedAt),
                             Timestamp.format(breaker.openUntil), Timestamp.format(now)])
    }
}
