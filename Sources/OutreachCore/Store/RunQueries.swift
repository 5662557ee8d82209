import Foundation

/// One tick of one campaign, as recorded in `runs`.
public struct Run: Sendable, Equatable {
    public let id: String
    public let campaignID: Int64
    public let mode: DispatchMode
    public let dryRun: Bool
    public var status: RunStatus
    public var stopReason: String?
    public let owner: String
    public let fencingToken: Int64
    public let startedAt: Date
    public var finishedAt: Date?
    public var durationMs: Int?
    public var counters: RunCounters
    public let perTickLimit: Int
    public let dailyQuota: Int
    public let quotaDay: String
    public let contentHash: String
    public let toolVersion: String
}

/// The counts a run keeps as it goes.
public struct RunCounters: Sendable, Equatable {
    public var considered = 0
    public var dispatched = 0
    public var skipped = 0
    public var unknownRecovered = 0
    /// Sends of this run whose outcome is unknown (not stored: the jobs say it).
    public var unknownOutcomes = 0
    public init() {}
}

/// The SQL for runs.
public enum RunQueries {
    static func insert(_ db: any SQLConnection, _ run: Run) throws {
        try db.execute(sql: """
            INSERT INTO runs (id, campaign_id, mode, dry_run, status, owner, fencing_token, started_at, per_tick_limit,
                daily_quota, quota_day, content_hash, tool_version)
            VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.id, run.campaignID, run.mode.rawValue, run.dryRun, run.owner, run.fencingToken,
                             Timestamp.format(run.startedAt), run.perTickLimit, run.dailyQuota, run.quotaDay,
                             run.contentHash, run.toolVersion])
    }

    static func saveCounters(_ db: any SQLConnection, runID: String, _ counters: RunCounters) throws {
        try db.execute(sql: """
            UPDATE runs SET considered = ?, dispatched = ?, skipped = ?, unknown_recovered = ? WHERE id = ?
            """, arguments: [counters.considered, counters.dispatched, counters.skipped, counters.unknownRecovered, runID])
    }

    static func finish(_ db: any SQLConnection, runID: String, status: RunStatus, stopReason: String?, finishedAt: Date,
                       durationMs: Int, counters: RunCounters) throws {
        try saveCounters(db, runID: runID, counters)
        try db.execute(sql: """
            UPDATE runs SET status = ?, stop_reason = ?, finished_at = ?, duration_ms = ? WHERE id = ?
            """, arguments: [status.rawValue, stopReason, Timestamp.format(finishedAt), durationMs, runID])
    }

    /// Closes runs of a campaign left `running` by a process that lost its lease or died.
    static func closeAbandoned(_ db: any SQLConnection, campaignID: Int64, at instant: Date, reason: StopReason) throws {
        // The abandoned process never wrote its counters; its decisions say what it did.
        try db.execute(sql: """
            UPDATE runs SET status = 'lease_lost', stop_reason = ?, finished_at = ?,
                considered = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id),
                dispatched = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NOT NULL),
                skipped = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NULL AND d.decision != 'completed')
            WHERE campaign_id = ? AND status = 'running'
            """, arguments: [reason.rawValue, Timestamp.format(instant), campaignID])
    }

    private static let columns = """
        id, campaign_id, mode, dry_run, status, stop_reason, owner, fencing_token, started_at, finished_at, duration_ms,
        considered, dispatched, skipped, unknown_recovered, per_tick_limit, daily_quota, quota_day, content_hash, tool_version
        """

    /// A run by id.
    public static func find(_ db: any SQLConnection, id: String) throws -> Run? {
        try SQLRecord.fetchOne(db, sql: "SELECT \(columns) FROM runs WHERE id = ?", arguments: [id]).map(decode)
    }

    /// The campaign's runs, newest first.
    public static func list(_ db: any SQLConnection, campaignID: Int64, limit: Int? = nil) throws -> [Run] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT \(columns) FROM runs WHERE campaign_id = ? ORDER BY started_at DESC, fencing_token DESC
            \(limit.map { "LIMIT \($0)" } ?? "")
            """, arguments: [campaignID]).map(decode)
    }

    private static func decode(_ row: SQLRecord) -> Run {
        var counters = RunCounters()
        counters.considered = row[11]
        counters.dispatched = row[12]
        counters.skipped = row[13]
        counters.unknownRecovered = row[14]
        return Run(
            id: row[0], campaignID: row[1], mode: DispatchMode(rawValue: row[2]) ?? .proof, dryRun: row[3],
            status: RunStatus(rawValue: row[4]) ?? .failed, stopReason: row[5], owner: row[6], fencingToken: row[7],
            startedAt: Timestamp.parse(row[8]) ?? .distantPast, finishedAt: (row[9] as String?).flatMap(Timestamp.parse),
            durationMs: row[10], counters: counters, perTickLimit: row[15], dailyQuota: row[16], quotaDay: row[17],
            contentHash: row[18], toolVersion: row[19])
    }
}
