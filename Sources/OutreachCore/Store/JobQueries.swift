import Foundation

/// A job with the lead address it goes to (what `jobs list` and `attempts.csv` show).
public struct JobListing: Sendable, Equatable {
    public let job: Job
    public let email: String
}

/// The SQL for jobs outside the tick: listings and operator actions.
public enum JobQueries {
    /// A campaign's jobs, optionally of one status, oldest first; streamed to `body`.
    public static func forEach(_ db: any SQLConnection, campaignID: Int64, status: JobStatus?, _ body: (JobListing) throws -> Void) throws {
        var sql = """
            SELECT \(Job.columns(of: "j")), l.email
            FROM jobs j JOIN leads l ON l.id = j.lead_id WHERE j.campaign_id = ?
            """
        var arguments: [(any SQLBindable)?] = [campaignID]
        if let status {
            sql += " AND j.status = ?"
            arguments += [status.rawValue]
        }
        try SQLRecord.forEach(db, sql: sql + " ORDER BY j.id", arguments: arguments) { row in try body(JobListing(job: Job(row: row), email: row[16])) }
    }

    /// A job by id.
    public static func find(_ db: any SQLConnection, id: Int64) throws -> Job? {
        try SQLRecord.fetchOne(db, sql: "SELECT \(Job.columns) FROM jobs WHERE id = ?", arguments: [id]).map(Job.init(row:))
    }

    /// The jobs of one lead, oldest first.
    public static func forLead(_ db: any SQLConnection, leadID: Int64) throws -> [Job] {
        try SQLRecord.fetchAll(db, sql: "SELECT \(Job.columns) FROM jobs WHERE lead_id = ? ORDER BY id", arguments: [leadID])
            .map(Job.init(row:))
    }

    /// Jobs by status for a campaign (every status, zero counts included).
    public static func countsByStatus(_ db: any SQLConnection, campaignID: Int64) throws -> [(JobStatus, Int)] {
        let rows = try SQLRecord.fetchAll(db, sql: "SELECT status, count(*) FROM jobs WHERE campaign_id = ? GROUP BY status",
                                    arguments: [campaignID])
        var counts: [String: Int] = [:]
        for row in rows { counts[row[0]] = row[1] }
        return JobStatus.allCases.map { ($0, counts[$0.rawValue] ?? 0) }
    }

    /// The stored message of a job.
    public static func message(_ db: any SQLConnection, jobID: Int64) throws -> OutgoingMessage? {
        try TickQueries.message(db, jobID: jobID)
    }

    /// `jobs retry`: schedules a failed, dead or unknown job for the next tick, which sends
    /// the stored message with the same idempotency key after checking every rule again.
    public static func scheduleRetry(_ db: any SQLConnection, jobID: Int64, now: Date) throws -> Job {
        guard let job = try find(db, id: jobID) else {
            throw OutreachError.badInput("There is no job \(jobID); `outreach jobs list SLUG` shows the jobs.")
        }
        guard JobStatus.retryable.contains(job.status) else {
            throw OutreachError.badInput(
                "Job \(jobID) is \(job.status.rawValue); only failed, dead or unknown jobs can be retried.")
        }
        guard job.mode == .live else {
            throw OutreachError.badInput("Job \(jobID) was recorded in proof mode; there is nothing to re-send.")
        }
        let stamp = Timestamp.format(now)
        try db.execute(sql: """
            UPDATE jobs SET status = 'retry_scheduled', next_attempt_at = ?, updated_at = ?, ambiguous = 0,
                last_error = 'operator retry after: ' || coalesce(last_error, status)
            WHERE id = ? AND status = ?
            """, arguments: [stamp, stamp, jobID, job.status.rawValue])
        // The lead waits for this job again, not due on its own; its progress is unchanged.
        try db.execute(sql: """
            UPDATE leads SET status = 'active', next_action_at = NULL, blocked_reason = NULL, updated_at = ?
            WHERE id = ? AND status IN ('failed', 'active', 'new')
            """, arguments: [stamp, job.leadID])
        return try reread(db, jobID)
    }

    /// `jobs cancel`: a pending, unknown, failed or dead job will never be sent; its lead
    /// leaves the sequence as `failed` (with the reason), so it is reported, not lost.
    public static func cancel(_ db: any SQLConnection, jobID: Int64, now: Date) throws -> Job {
        guard let job = try find(db, id: jobID) else {
            throw OutreachError.badInput("There is no job \(jobID); `outreach jobs list SLUG` shows the jobs.")
        }
        guard JobStatus.cancellable.contains(job.status) else {
            throw OutreachError.badInput(
                "Job \(jobID) is \(job.status.rawValue); only retry_scheduled, unknown, failed or dead jobs can be cancelled.")
        }
        let stamp = Timestamp.format(now)
        try db.execute(sql: """
            UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?,
                last_error = 'cancelled by operator (was ' || status || ')'
            WHERE id = ? AND status = ?
            """, arguments: [stamp, jobID, job.status.rawValue])
        try db.execute(sql: """
            UPDATE leads SET status = 'failed', next_action_at = NULL, blocked_reason = ?, updated_at = ?
            WHERE id = ? AND status IN ('new', 'active', 'failed')
            """, arguments: ["job \(jobID) cancelled by operator", stamp, job.leadID])
        return try reread(db, jobID)
    }

    private static func reread(_ db: any SQLConnection, _ jobID: Int64) throws -> Job {
        guard let job = try find(db, id: jobID) else {
            throw OutreachError.unexpected("Job \(jobID) disappeared while it was being changed.")
        }
        return job
    }
}
