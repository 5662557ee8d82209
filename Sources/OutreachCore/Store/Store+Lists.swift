import Foundation

/// The compliance lists' transactions: `unsubscribe add|list`, `suppress add|remove|list`
/// and `kill-switch on|off|status`. (Their bulk imports are `ListImporter`'s.)
extension Store {
    /// Unsubscribes an address from every campaign (`campaign` nil) or from one. The campaign
    /// lookup and the insert are one transaction; returns false when the same unsubscribe was
    /// already recorded (or the person was forgotten), which changes nothing.
    public func recordUnsubscribe(email: String, campaign slug: String?, source: String?, clock: any WallClock) throws -> Bool {
        try write("recording the unsubscribe of \(email)") { db in
            let campaignID = try slug.map { try CampaignQueries.require(db, slug: $0).id }
            return try ListQueries.addUnsubscribe(db, email: email, campaignID: campaignID, source: source, now: clock.now())
        }
    }

    /// Every unsubscribe, newest first.
    public func unsubscribes() throws -> [Unsubscribe] {
        try read("listing unsubscribes") { db in try ListQueries.unsubscribes(db) }
    }

    /// Suppresses an address or a domain. Ending a different active suppression and adding
    /// the new one are one transaction: the value is never unsuppressed in between, nor
    /// suppressed twice.
    public func suppress(_ kind: Suppression.Kind, _ value: String, reason: String?, until: Date?,
                         clock: any WallClock) throws -> ListQueries.SuppressionChange {
        try write("suppressing \(value)") { db in
            try ListQueries.addSuppression(db, kind: kind, value: value, reason: reason, until: until, now: clock.now())
        }
    }

    /// Ends the active suppression of a value (its history is kept); false when there was none.
    public func removeSuppression(_ kind: Suppression.Kind, _ value: String, clock: any WallClock) throws -> Bool {
        try write("removing the suppression of \(value)") { db in
            try ListQueries.removeSuppression(db, kind: kind, value: value, now: clock.now())
        }
    }

    /// Suppressions not removed (expired ones included), or every one; newest first.
    public func suppressions(includeRemoved: Bool) throws -> [Suppression] {
        try read("listing suppressions") { db in try ListQueries.suppressions(db, includeRemoved: includeRemoved) }
    }

    /// Turns the kill switch on or off. A tick checks it in each group's transaction, so once
    /// this commits no campaign dispatches anything more.
    public func setKillSwitch(on enabled: Bool, reason: String?, clock: any WallClock) throws {
        try write("switching the kill switch \(enabled ? "on" : "off")") { db in
            try ListQueries.setKillSwitch(db, enabled: enabled, reason: reason, now: clock.now())
        }
    }

    /// The kill switch as it is now.
    public func killSwitch() throws -> KillSwitch {
        try read("reading the kill switch") { db in try ListQueries.killSwitch(db) }
    }
}
