/// The SQL of the storage baselines: the per-lead statements of a proof tick (selection in
/// the tick's order, the list lookups, the commit-order number, the job, its message, the
/// lead update, the decision). SQLite (`RawStorage`) and PostgreSQL (`RawPostgres`) send
/// exactly these, so both baselines measure the same work.
enum RawStatements {
    static let nextStep = "2026-11-26T15:00:00Z"

    static let insertRun = """
        INSERT INTO runs (id, campaign_id, mode, status, owner, fencing_token, started_at, per_tick_limit, daily_quota, quota_day,
            content_hash, tool_version) VALUES (?, 1, 'proof', 'running', 'raw', 999, ?, 10000000, 10000000, ?, 'raw', 'raw')
        """

    /// Parameters: now, cursor time, cursor id, run id. Columns: id, email, dnc, next_action_at.
    static let selectDue = """
        SELECT id, email, dnc, next_action_at FROM leads
        WHERE campaign_id = 1 AND status IN ('new', 'active') AND next_action_at <= ? AND (next_action_at, id) > (?, ?)
          AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.run_id = ? AND d.lead_id = leads.id)
        ORDER BY next_action_at, id LIMIT 500
        """

    static let unsubscribed = """
        SELECT campaign_id, source FROM unsubscribes WHERE email = ? AND (campaign_id IS NULL OR campaign_id = 1)
        ORDER BY campaign_id IS NOT NULL LIMIT 1
        """

    /// Parameters: kind (`email` or `domain`), value, now.
    static let suppressed = """
        SELECT coalesce(reason, '') FROM suppressions
        WHERE kind = ? AND value = ? AND removed_at IS NULL AND (until IS NULL OR until > ?)
        """

    static let block = "UPDATE leads SET status = 'blocked', blocked_reason = 'blocked', next_action_at = NULL, updated_at = ? WHERE id = ?"

    static let lastContacted = "SELECT max(last_contacted_at) FROM leads WHERE email = ?"

    /// The claim's commit-order number (SPEC §9.6), as the tick takes it.
    static let takeSeq = "UPDATE commit_sequence SET value = value + 1 WHERE id = 1"

    static let insertJob = """
        INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, attempt,
            created_at, updated_at, seq)
        VALUES (1, ?, ?, ?, 'intro', 0, 'proof', 'proof', 'sent_proof', 1, ?, ?, (SELECT value FROM commit_sequence WHERE id = 1))
        """

    static let insertMessage = "INSERT INTO job_messages (job_id, message) VALUES (?, ?)"

    /// Parameters: next action, now, now, lead id.
    static let advance = """
        UPDATE leads SET status = 'active', step_index = 1, next_action_at = ?, last_contacted_at = ?, blocked_reason = NULL,
            updated_at = ? WHERE id = ?
        """

    static func insertDecision(withSeq: Bool) -> String {
        """
        INSERT INTO decisions (run_id, campaign_id, lead_id, step_index, decision, reason, job_id, job_status, attempt, next_attempt_at,
            error, quota_day, status_after, next_action_at, decided_at, seq)
        VALUES (?, 1, ?, 0, ?, NULL, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, \(withSeq ? "(SELECT value FROM commit_sequence WHERE id = 1)" : "NULL"))
        """
    }

    static let insertLead = """
        INSERT INTO leads (campaign_id, email, first_name, last_name, company, timezone, attributes, dnc, dnc_at, dnc_reason, status,
            step_index, next_action_at, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 0, ?, ?, ?)
        """

    static func domain(of email: String) -> String {
        String(email[email.index(after: email.firstIndex(of: "@")!)...])
    }
}
