import Foundation

/// Erasing a person (`outreach leads forget EMAIL`, SPEC §14, GDPR Art. 17).
///
/// In one transaction, every campaign's lead with the address loses its address and
/// attributes (the row stays, blanked, so jobs, decisions and the proof checks still add up),
/// its stored messages and feedback events are deleted, pending retries are cancelled, and
/// the address's unsubscribes and suppressions are replaced by one SHA-256 hash in
/// `forgotten`. Every way an address comes in (lead import, events, unsubscribe, suppress)
/// checks that hash, so the person is never stored or contacted again.
public enum ForgetQueries {
    /// What was erased.
    public struct Report: Sendable, Equatable {
        public var leads = 0
        public var campaigns = 0
        public var messages = 0
        public var events = 0
        public var unsubscribes = 0
        public var suppressions = 0
        public var cancelledJobs = 0
        /// The address had been forgotten before.
        public var alreadyForgotten = false
        /// The one-way hash that stays of the address (`hash(_:)`).
        public var emailSHA256 = ""
    }

    /// The one-way hash kept of a forgotten address (normalised first).
    public static func hash(_ email: String) -> String {
        SHA256Digest.hex(of: EmailAddress.normalize(email))
    }

    /// True when the address was forgotten.
    public static func isForgotten(_ db: any SQLConnection, email: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM forgotten WHERE email_sha256 = ?)", arguments: [hash(email)]) ?? false
    }

    /// Every forgotten hash (for bulk imports: one read, then a set lookup per row).
    public static func hashes(_ db: any SQLConnection) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT email_sha256 FROM forgotten"))
    }

    /// Erases the address everywhere; run inside one write transaction.
    public static func forget(_ db: any SQLConnection, email: String, now: Date) throws -> Report {
        let email = EmailAddress.normalize(email)
        let stamp = Timestamp.format(now)
        var report = Report()
        report.emailSHA256 = hash(email)
        report.alreadyForgotten = try isForgotten(db, email: email)
        let leads = try SQLRecord.fetchAll(db, sql: "SELECT id, campaign_id FROM leads WHERE email = ?", arguments: [email])
        report.leads = leads.count
        report.campaigns = Set(leads.map { $0[1] as Int64 }).count
        for lead in leads {
            let leadID: Int64 = lead[0]
            // A retry that is still waiting is never sent; a job being handed over right now
            // (`dispatching`) settles as the running tick decides.
            try db.execute(sql: """
                UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?,
                    last_error = 'cancelled: the person was forgotten (GDPR Art. 17)'
                WHERE lead_id = ? AND status = 'retry_scheduled'
                """, arguments: [stamp, leadID])
            report.cancelledJobs += db.changesCount
            // Errors of other jobs may quote the address (an SMTP answer); they go too.
            try db.execute(sql: "UPDATE jobs SET last_error = NULL WHERE lead_id = ? AND status <> 'cancelled' AND last_error IS NOT NULL",
                           arguments: [leadID])
            try db.execute(sql: "DELETE FROM job_messages WHERE job_id IN (SELECT id FROM jobs WHERE lead_id = ?)", arguments: [leadID])
            report.messages += db.changesCount
            try db.execute(sql: """
                UPDATE leads SET email = ?, first_name = NULL, last_name = NULL, company = NULL, timezone = NULL,
                    attributes = '{}', status = 'blocked', blocked_reason = 'forgotten (GDPR Art. 17)', next_action_at = NULL,
                    dnc = 1, dnc_reason = 'forgotten', dnc_at = coalesce(dnc_at, ?), updated_at = ?
                WHERE id = ?
                """, arguments: [placeholder(leadID: leadID), stamp, stamp, leadID])
        }
        try db.execute(sql: "DELETE FROM events WHERE email = ?", arguments: [email])
        report.events = db.changesCount
        try db.execute(sql: "DELETE FROM unsubscribes WHERE email = ?", arguments: [email])
        report.unsubscribes = db.changesCount
        try db.execute(sql: "DELETE FROM suppressions WHERE kind = 'email' AND value = ?", arguments: [email])
        report.suppressions = db.changesCount
        try db.execute(sql: "INSERT INTO forgotten (email_sha256, forgotten_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       arguments: [hash(email), stamp])
        return report
    }

    /// The address a forgotten lead keeps: unique, in a reserved domain (RFC 2606), never sendable.
    static func placeholder(leadID: Int64) -> String { "forgotten-\(leadID)@forgotten.invalid" }
}
