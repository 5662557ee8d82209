import Foundation

/// Checks of the database itself: the clock guard a writing command passes first, and
/// whether the database answers (`serve`'s `/healthz`).
extension Store {
    /// Refuses `now` when it is more than the tolerance behind the newest instant the database
    /// recorded (SPEC §9.7, exit 78); writes nothing. Every command that changes the database
    /// runs this first, so a clock that went backwards cannot re-open quotas or cooldowns.
    public func checkClock(now: Date) throws {
        try read("checking the clock") { db in try SafetyQueries.checkClock(db, now: now) }
    }

    /// Throws when the database does not answer a trivial query.
    public func checkDatabase() throws {
        try read("checking the database") { db in try SafetyQueries.ping(db) }
    }
}
