import Foundation

/// A job as the tick and the commands see it.
public struct Job: Sendable, Equatable {
    public let id: Int64
    public let campaignID: Int64
    public let leadID: Int64
    public let runID: String
    public let idempotencyKey: String
    public let stepID: String
    public let stepIndex: Int
    public let mode: DispatchMode
    public let transport: String
    public var status: JobStatus
    public var attempt: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public let createdAt: Date
    public var updatedAt: Date
    /// The last attempt may have reached the provider; a retry is allowed only inside the
    /// transport's idempotency window.
    public var ambiguous: Bool

    static let columns = columns(of: nil)

    /// The columns `init(row:)` reads, qualified by a table alias when given.
    static func columns(of alias: String?) -> String {
        ["id", "campaign_id", "lead_id", "run_id", "idempotency_key", "step_id", "step_index", "mode", "transport", "status",
         "attempt", "next_attempt_at", "last_error", "created_at", "updated_at", "ambiguous"]
            .map { (alias.map { "\($0)." } ?? "") + $0 }.joined(separator: ", ")
    }

    init(row: SQLRecord) {
        id = row[0]
        campaignID = row[1]
        leadID = row[2]
        runID = row[3]
        idempotencyKey = row[4]
        stepID = row[5]
        stepIndex = row[6]
        mode = DispatchMode(rawValue: row[7]) ?? .proof
        transport = row[8]
        status = JobStatus(rawValue: row[9]) ?? .unknown
        attempt = row[10]
        nextAttemptAt = (row[11] as String?).flatMap(Timestamp.parse)
        lastError = row[12]
        createdAt = Timestamp.parse(row[13]) ?? .distantPast
        updatedAt = Timestamp.parse(row[14]) ?? .distantPast
        ambiguous = row[15]
    }
}

/// A decision row to insert.
struct DecisionRow {
    var runID: String
    var campaignID: Int64
    var leadID: Int64
    var stepIndex: Int
    var kind: DecisionKind
    var reason: String?
    var jobID: Int64?
    var jobStatus: JobStatus?
    var attempt: Int?
    var nextAttemptAt: Date?
    var error: String?
    var quotaDay: String?
    var statusAfter: LeadStatus
    var nextActionAt: String?
    var decidedAt: String
    /// The commit-order number of a dispatch's claim (nil for other decisions).
    var seq: Int64?
}

/// The statements of the tick's hot path, each prepared once per connection.
///
/// Everything here runs inside the tick's transactions; the tick never reads or writes a
/// lead, job or decision any other way. One lead costs: its selection (an index range
/// read), three or four indexed lookups for the compliance facts, and three or four writes.
enum TickQueries {
    // MARK: - Selection

    /// How far a phase got in its order: `(next_action_at, lead id)` for leads,
    /// `(next_attempt_at, job id)` for retries.
    struct Cursor: Equatable {
        var time = ""
        var id: Int64 = 0
    }

    /// Due leads after the cursor, in order. A lead already decided in this run (say, one
    /// whose next step has no delay) is left for the next tick: one decision per lead per run.
    static func dueLeads(_ db: any SQLConnection, campaignID: Int64, now: String, after cursor: Cursor, runID: String,
                         limit: Int) throws -> [Lead] {
        try db.all("""
            SELECT \(Lead.columns) FROM leads
            WHERE campaign_id = ? AND status IN ('new', 'active') AND next_action_at <= ?
              AND (next_action_at, id) > (?, ?)
              AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.run_id = ? AND d.lead_id = leads.id)
            ORDER BY next_action_at, id
            LIMIT ?
            """, [.int(campaignID), .text(now), .text(cursor.time), .int(cursor.id), .text(runID), .int(limit)],
            Lead.init(statement:))
    }

    /// Retries that are due, in `(next_attempt_at, id)` order, after the cursor.
    static func dueRetries(_ db: any SQLConnection, campaignID: Int64, now: Date, after cursor: Cursor, limit: Int) throws -> [Job] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT \(Job.columns) FROM jobs
            WHERE campaign_id = ? AND status = 'retry_scheduled' AND next_attempt_at <= ?
              AND (next_attempt_at, id) > (?, ?)
            ORDER BY next_attempt_at, id
            LIMIT ?
            """, arguments: [
            campaignID, Timestamp.format(now), cursor.time, cursor.id, limit,
        ]).map(Job.init(row:))
    }

    // MARK: - Compliance facts

    /// What the lists say about an address right now (`now` formatted). The cooldown's
    /// last-contact lookup is separate, so a blocked address costs no extra query.
    static func listFacts(_ db: any SQLConnection, email: String, domain: String, campaignID: Int64, now: String) throws -> ComplianceFacts {
        var facts = ComplianceFacts()
        if let scope = try db.first("""
            SELECT campaign_id, source FROM unsubscribes WHERE email = ? AND (campaign_id IS NULL OR campaign_id = ?)
            ORDER BY campaign_id IS NOT NULL LIMIT 1
            """, [.text(email), .int(campaignID)],
            { row -> ComplianceFacts.UnsubscribeScope in row.isNull(0) ? .global(source: row.string(1)) : .campaign(source: row.string(1)) }) {
            facts.unsubscribe = scope
            return facts
        }
        let suppression = """
            SELECT coalesce(reason, '') FROM suppressions
            WHERE kind = ? AND value = ? AND removed_at IS NULL AND (until IS NULL OR until > ?)
            """
        // Every committed suppression counts, whatever its created_at says (a command run with a
        // clock a little ahead must not leave a window in which the address can be contacted).
        facts.emailSuppression = try db.first(suppression, [.text("email"), .text(email), .text(now)]) {
            $0.string(0) ?? ""
        }
        if facts.emailSuppression != nil { return facts }
        facts.domainSuppression = try db.first(suppression, [.text("domain"), .text(domain), .text(now)]) {
            $0.string(0) ?? ""
        }
        return facts
    }

    /// The last contact of an address by any campaign.
    static func lastContact(_ db: any SQLConnection, email: String) throws -> Date? {
        try db.first("SELECT max(last_contacted_at) FROM leads WHERE email = ?", [.text(email)]) {
            $0.string(0).flatMap(Timestamp.parse)
        } ?? nil
    }

    /// Every fact at once (for `leads show`).
    static func facts(_ db: any SQLConnection, email: String, domain: String, campaignID: Int64, now: Date,
                      needLastContact: Bool) throws -> ComplianceFacts {
        var facts = try listFacts(db, email: email, domain: domain, campaignID: campaignID, now: Timestamp.format(now))
        if needLastContact { facts.lastContactAt = try lastContact(db, email: email) }
        return facts
    }

    /// Units of the daily quota used on a campaign-local day.
    static func quotaUsed(_ db: any SQLConnection, campaignID: Int64, day: String) throws -> Int {
        try db.first("SELECT count(*) FROM decisions WHERE campaign_id = ? AND quota_day = ?",
                                    [.int(campaignID), .text(day)]) { $0.int(0) } ?? 0
    }

    // MARK: - Writes

    static func insertDecision(_ db: any SQLConnection, _ row: DecisionRow) throws {
        try db.execute("""
            INSERT INTO decisions (run_id, campaign_id, lead_id, step_index, decision, reason, job_id, job_status, attempt,
                next_attempt_at, error, quota_day, status_after, next_action_at, decided_at, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .text(row.runID), .int(row.campaignID), .int(row.leadID), .int(row.stepIndex), .text(row.kind.rawValue),
                .text(row.reason), .int(row.jobID), .text(row.jobStatus?.rawValue), .int(row.attempt),
                .text(Timestamp.format(row.nextAttemptAt)), .text(row.error), .text(row.quotaDay), .text(row.statusAfter.rawValue),
                .text(row.nextActionAt), .text(row.decidedAt), .int(row.seq),
            ])
    }

    /// Updates a decision once its job's send is settled (live mode's second transaction).
    static func settleDecision(_ db: any SQLConnection, runID: String, leadID: Int64, jobStatus: JobStatus, attempt: Int,
                               nextAttemptAt: Date?, error: String?, statusAfter: LeadStatus, nextActionAt: String?) throws {
        try db.execute(sql: """
            UPDATE decisions SET job_status = ?, attempt = ?, next_attempt_at = ?, error = ?, status_after = ?, next_action_at = ?
            WHERE run_id = ? AND lead_id = ?
            """, arguments: [
            jobStatus.rawValue, attempt, Timestamp.format(nextAttemptAt), error, statusAfter.rawValue,
            nextActionAt, runID, leadID,
        ])
    }

    /// Inserts a job with its claim's commit-order number; returns nil when its idempotency
    /// key, or its lead and step id, already has a job (a duplicate is a result, not an error).
    static func insertJob(_ db: any SQLConnection, campaignID: Int64, leadID: Int64, runID: String, key: String, stepID: String,
                          stepIndex: Int, mode: DispatchMode, transport: String, status: JobStatus, now: String,
                          seq: Int64, sender: String) throws -> Int64? {
        try db.first("""
            INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status,
                attempt, created_at, updated_at, seq, sender)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            RETURNING id
            """, [
                .int(campaignID), .int(leadID), .text(runID), .text(key), .text(stepID), .int(stepIndex), .text(mode.rawValue),
                .text(transport), .text(status.rawValue), .text(now), .text(now), .int(seq), .text(sender),
            ]) { $0.int64(0) }
    }

    /// The step ids a lead has jobs for, whatever became of them (SPEC §9.5).
    static func receivedSteps(_ db: any SQLConnection, leadID: Int64) throws -> Set<String> {
        Set(try db.all("SELECT step_id FROM jobs WHERE lead_id = ?", [.int(leadID)]) { $0.string(0) ?? "" })
    }

    /// The stored message of the lead's latest job that went out or may have: what a
    /// threaded step replies to.
    static func latestMessage(_ db: any SQLConnection, leadID: Int64) throws -> String? {
        try db.first("""
            SELECT m.message FROM jobs j JOIN job_messages m ON m.job_id = j.id
            WHERE j.lead_id = ? AND j.status IN ('sent', 'sent_proof', 'unknown', 'dispatching')
            ORDER BY j.id DESC LIMIT 1
            """, [.int(leadID)]) { $0.string(0) ?? "" }
    }

    static func insertMessage(_ db: any SQLConnection, jobID: Int64, _ message: OutgoingMessage) throws {
        try db.execute("INSERT INTO job_messages (job_id, message) VALUES (?, ?)",
                                      [.int(jobID), .text(message.storedJSON())])
    }

    static func message(_ db: any SQLConnection, jobID: Int64) throws -> OutgoingMessage? {
        try String.fetchOne(db, sql: "SELECT message FROM job_messages WHERE job_id = ?", arguments: [jobID])
            .map(OutgoingMessage.fromStoredJSON)
    }

    /// Moves a job from the status it is expected to have (as River guards its state
    /// changes); false when it no longer has it (an operator's `jobs cancel`, say), in which
    /// case nothing was written.
    static func updateJob(_ db: any SQLConnection, jobID: Int64, from expected: JobStatus, to status: JobStatus, attempt: Int,
                          nextAttemptAt: Date?, error: String?, ambiguous: Bool = false, now: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE jobs SET status = ?, attempt = ?, next_attempt_at = ?, last_error = ?, ambiguous = ?, updated_at = ?
            WHERE id = ? AND status = ?
            """, arguments: [
            status.rawValue, attempt, Timestamp.format(nextAttemptAt), error, ambiguous, Timestamp.format(now), jobID,
            expected.rawValue,
        ])
        return db.changesCount == 1
    }

    /// Moves a lead: status, step, due time, contact time, and why it is blocked or failed.
    /// `sender`: the address of the lead's first message; a lead that has one keeps it.
    static func updateLead(_ db: any SQLConnection, leadID: Int64, status: LeadStatus, stepIndex: Int, nextActionAt: String?,
                           lastContactedAt: String?, blockedReason: String?, now: String, sender: String? = nil) throws {
        try db.execute("""
            UPDATE leads SET status = ?, step_index = ?, next_action_at = ?, last_contacted_at = ?, blocked_reason = ?,
                updated_at = ?, sender = coalesce(sender, ?)
            WHERE id = ?
            """, [
                .text(status.rawValue), .int(stepIndex), .text(nextActionAt), .text(lastContactedAt), .text(blockedReason), .text(now),
                .text(sender), .int(leadID),
            ])
    }

    /// Moves only a lead's due time (window, cooldown).
    static func postponeLead(_ db: any SQLConnection, leadID: Int64, until: String, now: String) throws {
        try db.execute("UPDATE leads SET next_action_at = ?, updated_at = ? WHERE id = ?",
                                      [.text(until), .text(now), .int(leadID)])
    }

    /// Turns jobs left `dispatching` by earlier runs into `unknown`, recording which run found
    /// them; returns their ids.
    static func recoverInFlight(_ db: any SQLConnection, campaignID: Int64, runID: String, now: Date) throws -> [Int64] {
        let ids = try Int64.fetchAll(db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'dispatching' ORDER BY id",
                                     arguments: [campaignID])
        let stamp = Timestamp.format(now)
        for id in ids {
            try db.execute(sql: """
                UPDATE jobs SET status = 'unknown', last_error = 'interrupted between claim and result; the message may or may not have been sent',
                    updated_at = ? WHERE id = ?
                """, arguments: [stamp, id])
            try db.execute(sql: """
                INSERT INTO job_recoveries (run_id, job_id, attempt, recovered_at) SELECT ?, id, attempt, ? FROM jobs WHERE id = ?
                """, arguments: [runID, stamp, id])
        }
        return ids
    }
}
