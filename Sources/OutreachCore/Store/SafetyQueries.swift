import Foundation

/// The database-wide facts behind SPEC §9: the installation id, the commit-order counter
/// and the clock guard.
public enum SafetyQueries {
    /// The random id `migrate` gave this database (16 hex digits).
    public static func installationID(_ db: any SQLConnection) throws -> String {
        guard let id = try String.fetchOne(db, sql: "SELECT installation_id FROM installation WHERE id = 1") else {
            throw OutreachError.configuration("The database has no installation id; run `outreach migrate`.")
        }
        return id
    }

    /// The next commit-order number, taken inside the caller's write transaction: every
    /// transaction that commits later gets a larger one.
    static func nextSequence(_ db: any SQLConnection) throws -> Int64 {
        guard let value = try db.first("UPDATE commit_sequence SET value = value + 1 WHERE id = 1 RETURNING value", [],
                                                      { $0.int64(0) })
        else { throw OutreachError.configuration("The database has no commit-order counter; run `outreach migrate`.") }
        return value
    }

    /// Runs a trivial query: throws when the database does not answer.
    static func ping(_ db: any SQLConnection) throws {
        _ = try Int.fetchOne(db, sql: "SELECT 1")
    }

    // MARK: - Clock guard

    /// How far behind the newest recorded instant a writing command's clock may be: room for
    /// NTP steps and for hosts whose clocks differ by a few minutes (SPEC §9.7, README).
    public static let clockToleranceSeconds = 30 * 60

    /// Refuses `now` when it is more than the tolerance behind the newest instant the
    /// database recorded (exit 78). Reads only.
    public static func checkClock(_ db: any SQLConnection, now: Date) throws {
        _ = try newestAllowing(db, now: now)
    }

    /// `checkClock`, then moves the newest recorded instant forward to `now` (the tick, at
    /// its start and its end).
    public static func guardClock(_ db: any SQLConnection, now: Date) throws {
        if let newest = try newestAllowing(db, now: now), now <= newest { return }
        try db.execute(sql: "UPDATE clock_guard SET newest_at = ? WHERE id = 1", arguments: [Timestamp.format(now)])
    }

    private static func newestAllowing(_ db: any SQLConnection, now: Date) throws -> Date? {
        guard let text = try String.fetchOne(db, sql: "SELECT newest_at FROM clock_guard WHERE id = 1"),
              let newest = Timestamp.parse(text) else { return nil }
        if now.timeIntervalSince(newest) < -Double(clockToleranceSeconds) {
            throw OutreachError.configuration(
                "The clock went backwards: now is \(Timestamp.format(now)), but this database already recorded \(text), more than \(clockToleranceSeconds / 60) minutes later; fix the system clock (or --now) and run the command again. Nothing was changed.")
        }
        return newest
    }
}
