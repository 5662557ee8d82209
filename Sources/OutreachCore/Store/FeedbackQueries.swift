import Foundation

/// The SQL that applies delivery feedback to leads and lists.
enum FeedbackQueries {
    /// Records an event; false when its id was imported before (then nothing else happens).
    static func record(_ db: any SQLConnection, _ event: FeedbackEvent, campaignID: Int64?, now: Date) throws -> Bool {
        try db.execute(sql: """
            INSERT INTO events (id, type, bounce_kind, email, campaign_id, occurred_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """, arguments: [event.id, event.kind.rawValue, event.bounce?.rawValue, event.email, campaignID,
                             Timestamp.format(event.at), Timestamp.format(now)])
        return db.changesCount > 0
    }

    static func setMatched(_ db: any SQLConnection, eventID: String, count: Int) throws {
        try db.execute(sql: "UPDATE events SET leads_matched = ? WHERE id = ?", arguments: [count, eventID])
    }

    /// The leads with this address (in one campaign, or in all).
    static func leads(_ db: any SQLConnection, email: String, campaignID: Int64?) throws -> [Lead] {
        guard let campaignID else {
            return try db.all("SELECT \(Lead.columns) FROM leads WHERE email = ?", [.text(email)],
                                             Lead.init(statement:))
        }
        return try db.all("SELECT \(Lead.columns) FROM leads WHERE email = ? AND campaign_id = ?",
                                         [.text(email), .int(campaignID)], Lead.init(statement:))
    }

    /// Ends a lead's sequence (replied, bounced): the status, the reason, and any job still
    /// waiting for a retry is cancelled.
    static func stop(_ db: any SQLConnection, leadID: Int64, status: LeadStatus, reason: String, now: Date) throws {
        let stamp = Timestamp.format(now)
        try db.execute(sql: """
            UPDATE leads SET status = ?, blocked_reason = ?, next_action_at = NULL, updated_at = ?
            WHERE id = ? AND status IN ('new', 'active')
            """, arguments: [status.rawValue, reason, stamp, leadID])
        try db.execute(sql: """
            UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, last_error = ?, updated_at = ?
            WHERE lead_id = ? AND status = 'retry_scheduled'
            """, arguments: ["cancelled: \(reason)", stamp, leadID])
    }

    /// Pushes a lead's next step to at least `until` (out-of-office).
    static func hold(_ db: any SQLConnection, leadID: Int64, until: Date, now: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE leads SET next_action_at = \(db.dialect.greatest("next_action_at", "?")), updated_at = ?
            WHERE id = ? AND status IN ('new', 'active') AND next_action_at IS NOT NULL
            """, arguments: [Timestamp.format(until), Timestamp.format(now), leadID])
        return db.changesCount > 0
    }

    /// Counts a soft bounce; returns the lead's consecutive soft bounces.
    static func countSoftBounce(_ db: any SQLConnection, leadID: Int64) throws -> Int {
        try db.execute(sql: "UPDATE leads SET soft_bounces = soft_bounces + 1 WHERE id = ?", arguments: [leadID])
        return try Int.fetchOne(db, sql: "SELECT soft_bounces FROM leads WHERE id = ?", arguments: [leadID]) ?? 0
    }

    /// A sign of life (a reply of any kind) ends a run of soft bounces.
    static func resetSoftBounces(_ db: any SQLConnection, leadID: Int64) throws {
        try db.execute(sql: "UPDATE leads SET soft_bounces = 0 WHERE id = ?", arguments: [leadID])
    }
}
