import Foundation

/// The SQL behind the proof artifacts. Every row comes from what the run recorded (its
/// decisions, recoveries and the immutable parts of jobs and leads), never from current
/// state, so exporting a past run again gives the same bytes.
public enum ArtifactQueries {
    /// One row of `leads.csv`.
    public struct LeadRow: Sendable {
        public let leadID: Int64
        public let email: String
        public let stepIndex: Int
        public let decision: String
        public let reason: String?
        public let jobID: Int64?
        public let statusAfter: String
        public let nextActionAt: String?
    }

    /// One row of `attempts.csv`.
    public struct AttemptRow: Sendable {
        public let jobID: Int64
        public let idempotencyKey: String
        public let leadID: Int64
        public let email: String
        public let stepID: String
        public let stepIndex: Int
        public let status: String
        public let attempt: Int
        public let nextAttemptAt: String?
        public let error: String?
    }

    /// Decisions of a run in the order they were made.
    public static func forEachLeadRow(_ db: any SQLConnection, runID: String, _ body: (LeadRow) throws -> Void) throws {
        try SQLRecord.forEach(db, sql: """
            SELECT d.lead_id, l.email, d.step_index, d.decision, d.reason, d.job_id, d.status_after, d.next_action_at
            FROM decisions d JOIN leads l ON l.id = d.lead_id WHERE d.run_id = ? ORDER BY d.id
            """, arguments: [runID]) { row in
            try body(LeadRow(leadID: row[0], email: row[1], stepIndex: row[2], decision: row[3], reason: row[4], jobID: row[5],
                             statusAfter: row[6], nextActionAt: row[7]))
        }
    }

    /// Jobs the run touched: those it found interrupted (now unknown), then those it dispatched
    /// or settled, with their state as the run left them.
    public static func forEachAttemptRow(_ db: any SQLConnection, runID: String, _ body: (AttemptRow) throws -> Void) throws {
        try SQLRecord.forEach(db, sql: """
            SELECT j.id, j.idempotency_key, j.lead_id, l.email, j.step_id, j.step_index, 'unknown', r.attempt, NULL,
                   'interrupted between claim and result; never re-sent automatically'
            FROM job_recoveries r JOIN jobs j ON j.id = r.job_id JOIN leads l ON l.id = j.lead_id
            WHERE r.run_id = ?1
            UNION ALL
            SELECT j.id, j.idempotency_key, j.lead_id, l.email, j.step_id, j.step_index, d.job_status, d.attempt,
                   d.next_attempt_at, d.error
            FROM decisions d JOIN jobs j ON j.id = d.job_id JOIN leads l ON l.id = j.lead_id
            WHERE d.run_id = ?1
            """, arguments: [runID]) { row in
            try body(AttemptRow(jobID: row[0], idempotencyKey: row[1], leadID: row[2], email: row[3], stepID: row[4],
                                stepIndex: row[5], status: row[6] ?? "", attempt: row[7] ?? 0, nextAttemptAt: row[8], error: row[9]))
        }
    }

    /// Messages the run dispatched (proof previews), by job id.
    public static func forEachDispatchedMessage(_ db: any SQLConnection, runID: String, _ body: (Int64, OutgoingMessage) throws -> Void) throws {
        try SQLRecord.forEach(db, sql: """
            SELECT m.job_id, m.message FROM decisions d JOIN job_messages m ON m.job_id = d.job_id
            WHERE d.run_id = ? AND d.quota_day IS NOT NULL ORDER BY d.id
            """, arguments: [runID]) { row in try body(row[0], try OutgoingMessage.fromStoredJSON(row[1])) }
    }

    /// Decision kinds of a run with their counts.
    public static func decisionCounts(_ db: any SQLConnection, runID: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try SQLRecord.fetchAll(db, sql: "SELECT decision, count(*) FROM decisions WHERE run_id = ? GROUP BY decision",
                                    arguments: [runID]) {
            counts[row[0]] = row[1]
        }
        return counts
    }

    /// What a run sent from each mailbox: its sends, the mailbox-local day of the last one,
    /// how many the mailbox had sent that day by then (all campaigns) against the allowance in
    /// force, and when it could send again. Read from the send ledger, so a later export
    /// gives the same answer.
    public static func mailboxSends(_ db: any SQLConnection, runID: String) throws -> [RunMailboxSends] {
        let rows = try SQLRecord.fetchAll(db, sql: """
            SELECT m.address, s.mailbox_id, s.id, s.day, s.allowance, s.next_allowed_at
            FROM mailbox_sends s JOIN decisions d ON d.job_id = s.job_id AND d.attempt = s.attempt
                 JOIN mailboxes m ON m.id = s.mailbox_id
            WHERE d.run_id = ? AND d.decision IN ('dispatched', 'retry_dispatched')
            ORDER BY m.address, s.id
            """, arguments: [runID])
        var result: [RunMailboxSends] = []
        for group in Dictionary(grouping: rows, by: { $0["address"] as String }).sorted(by: { $0.key < $1.key }) {
            guard let last = group.value.last else { continue }
            let mailboxID: Int64 = last["mailbox_id"]
            let lastID: Int64 = last["id"]
            let day: String = last["day"]
            let used = try Int.fetchOne(db, sql: "SELECT count(*) FROM mailbox_sends WHERE mailbox_id = ? AND day = ? AND id <= ?",
                                        arguments: [mailboxID, day, lastID]) ?? 0
            result.append(RunMailboxSends(address: group.key, sends: group.value.count, day: day, sentThatDay: used,
                                          allowance: last["allowance"], nextAllowedAt: last["next_allowed_at"]))
        }
        return result
    }

    /// Jobs a run left waiting for a retry, and jobs it found with an unknown outcome.
    public static func retryAndUnknownCounts(_ db: any SQLConnection, runID: String) throws -> (retries: Int, unknown: Int) {
        let retries = try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions WHERE run_id = ? AND job_status = 'retry_scheduled'",
                                       arguments: [runID]) ?? 0
        let unknown = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_recoveries WHERE run_id = ?", arguments: [runID]) ?? 0
        return (retries, unknown)
    }

    /// The job status right after each dispatch of this run (sent, retry_scheduled, failed, …).
    public static func dispatchOutcomes(_ db: any SQLConnection, runID: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let rows = try SQLRecord.fetchAll(db, sql: """
            SELECT coalesce(job_status, ''), count(*) FROM decisions
            WHERE run_id = ? AND decision IN ('dispatched', 'retry_dispatched') GROUP BY 1
            """, arguments: [runID])
        for row in rows { counts[row[0] as String, default: 0] += row[1] as Int }
        return counts
    }

    /// Dispatches counted on a campaign-local day by this run and the runs before it.
    public static func quotaUsed(_ db: any SQLConnection, run: Run) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM decisions d JOIN runs r ON r.id = d.run_id
            WHERE d.campaign_id = ? AND d.quota_day = ? AND r.fencing_token <= ?
            """, arguments: [run.campaignID, run.quotaDay, run.fencingToken]) ?? 0
    }
}

/// One mailbox's share of a run (see `ArtifactQueries.mailboxSends`).
public struct RunMailboxSends: Sendable, Equatable {
    public let address: String
    public let sends: Int
    public let day: String
    public let sentThatDay: Int
    public let allowance: Int
    public let nextAllowedAt: String
}
