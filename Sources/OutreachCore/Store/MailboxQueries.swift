import Foundation

/// The SQL of mailboxes (SPEC §12): their files, pauses, and the conditional update that
/// claims a send.
public enum MailboxQueries {
    /// What `apply` did to one mailbox.
    public enum ApplyResult: String, Sendable {
        case created, updated, unchanged
    }

    static let columns = """
        id, address, timezone, daily_cap, warmup_start, warmup_increase, min_gap_seconds, jitter_seconds, guardrails,
        status, status_reason, auto_paused, guardrails_since, day, sent_today, first_send_day, last_send_at, next_send_at
        """

    /// Creates or updates each mailbox's settings; what it has sent, its warm-up day and its
    /// pause are kept.
    public static func apply(_ db: any SQLConnection, _ mailboxes: [Mailbox], now: Date) throws -> [(String, ApplyResult)] {
        let stamp = Timestamp.format(now)
        return try mailboxes.map { mailbox in
            let guardrails = mailbox.guardrails.map(Self.guardrailsJSON)
            let values: [(any SQLBindable)?] = [
                mailbox.timezone, mailbox.dailyCap, mailbox.warmup?.start, mailbox.warmup?.increase, mailbox.minGapSeconds,
                mailbox.jitterSeconds, guardrails,
            ]
            guard let existing = try find(db, address: mailbox.address) else {
                try db.execute(sql: """
                    INSERT INTO mailboxes (timezone, daily_cap, warmup_start, warmup_increase, min_gap_seconds, jitter_seconds,
                        guardrails, address, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: values + [mailbox.address, stamp, stamp])
                return (mailbox.address, .created)
            }
            guard existing.mailbox != mailbox else { return (mailbox.address, .unchanged) }
            try db.execute(sql: """
                UPDATE mailboxes SET timezone = ?, daily_cap = ?, warmup_start = ?, warmup_increase = ?, min_gap_seconds = ?,
                    jitter_seconds = ?, guardrails = ?, updated_at = ?
                WHERE id = ?
                """, arguments: values + [stamp, existing.id])
            return (mailbox.address, .updated)
        }
    }

    public static func all(_ db: any SQLConnection) throws -> [StoredMailbox] {
        try SQLRecord.fetchAll(db, sql: "SELECT \(columns) FROM mailboxes ORDER BY address").map(decode)
    }

    public static func find(_ db: any SQLConnection, address: String) throws -> StoredMailbox? {
        try SQLRecord.fetchOne(db, sql: "SELECT \(columns) FROM mailboxes WHERE address = ?", arguments: [address]).map(decode)
    }

    /// The mailbox of an address, or a configuration error naming what to do.
    public static func require(_ db: any SQLConnection, address: String) throws -> StoredMailbox {
        guard let mailbox = try find(db, address: EmailAddress.normalize(address)) else {
            throw OutreachError.inputMissing("No mailbox \(EmailAddress.printable(address)); see `outreach mailbox list`, or add it with `outreach mailbox apply FILE.yaml`.")
        }
        return mailbox
    }

    /// The mailboxes among `addresses` (the others have no mailbox limits), by address.
    static func find(_ db: any SQLConnection, addresses: [String]) throws -> [String: StoredMailbox] {
        guard !addresses.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: addresses.count).joined(separator: ", ")
        let rows = try SQLRecord.fetchAll(db, sql: "SELECT \(columns) FROM mailboxes WHERE address IN (\(marks))",
                                    arguments: addresses)
        return Dictionary(uniqueKeysWithValues: try rows.map(decode).map { ($0.address, $0) })
    }

    /// Pauses (with the reason; `auto` when the guardrails did it) or resumes a mailbox. A
    /// resume restarts the guardrail window and brings back the leads the pause postponed.
    public static func setStatus(_ db: any SQLConnection, _ mailbox: StoredMailbox, _ status: StoredMailbox.Status, reason: String?,
                                 auto: Bool = false, now: Date) throws {
        let stamp = Timestamp.format(now)
        if status == .active {
            try db.execute(sql: """
                UPDATE mailboxes SET status = 'active', status_reason = NULL, auto_paused = 0, guardrails_since = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [stamp, stamp, mailbox.id])
            try db.execute(sql: """
                UPDATE leads SET next_action_at = ?, updated_at = ?
                WHERE sender = ? AND status IN ('new', 'active') AND next_action_at > ?
                  AND (SELECT d.decision FROM decisions d WHERE d.lead_id = leads.id ORDER BY d.id DESC LIMIT 1) = 'skipped_mailbox_paused'
                """, arguments: [stamp, stamp, mailbox.address, stamp])
        } else {
            try db.execute(sql: """
                UPDATE mailboxes SET status = 'paused', status_reason = ?, auto_paused = ?, updated_at = ? WHERE id = ?
                """, arguments: [reason, auto, stamp, mailbox.id])
        }
    }

    /// The arbiter of a mailbox's limits: one conditional update that counts a send only if
    /// the mailbox is active, under today's allowance (warm-up included) and past its gap,
    /// all judged by the row as it is inside this statement. Returns the day's allowance,
    /// or nil when the mailbox cannot send now (nothing was changed).
    static func claim(_ db: any SQLConnection, mailboxID: Int64, day: String, now: String, nextSendAt: String) throws -> Int? {
        try db.first("""
            UPDATE mailboxes SET
                sent_today = CASE WHEN day = ?1 THEN sent_today + 1 ELSE 1 END,
                day = ?1, first_send_day = coalesce(first_send_day, ?1),
                last_send_at = ?2, next_send_at = ?3, updated_at = ?2
            WHERE id = ?4 AND status = 'active'
              AND (next_send_at IS NULL OR next_send_at <= ?2)
              AND (CASE WHEN day = ?1 THEN sent_today ELSE 0 END) < \(allowanceSQL(db.dialect))
            RETURNING \(allowanceSQL(db.dialect))
            """, [.text(day), .text(now), .text(nextSendAt), .int(mailboxID)]) { $0.int(0) }
    }

    /// Today's allowance (`?1` is the day) in SQL: `Mailbox.allowance(on:firstSendDay:)`.
    private static func allowanceSQL(_ dialect: SQLDialect) -> String {
        let day = dialect.greatest("0", dialect.daysBetween("coalesce(first_send_day, ?1)", "?1"))
        return "(CASE WHEN warmup_start IS NULL THEN daily_cap ELSE \(dialect.least("daily_cap", "warmup_start + warmup_increase * \(day)")) END)"
    }

    /// The ledger row of a claimed send, with the limits in force (read by the proof checks).
    static func recordSend(_ db: any SQLConnection, mailboxID: Int64, jobID: Int64, attempt: Int, campaignID: Int64, day: String,
                           sentAt: String, allowance: Int, nextAllowedAt: String) throws {
        try db.execute("""
            INSERT INTO mailbox_sends (mailbox_id, job_id, attempt, campaign_id, day, sent_at, allowance, next_allowed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(mailboxID), .int(jobID), .int(attempt), .int(campaignID), .text(day), .text(sentAt), .int(allowance),
                  .text(nextAllowedAt)])
    }

    /// The campaigns whose file names the address (by slug), for `mailbox show`.
    public static func campaigns(_ db: any SQLConnection, using address: String) throws -> [String] {
        try CampaignQueries.all(db).filter { stored in
            stored.campaign.sender.from.contains { MailboxText.parse($0)?.address == address }
        }.map(\.slug)
    }

    /// Sends by campaign from the mailbox on its current day.
    public static func sendsToday(_ db: any SQLConnection, _ mailbox: StoredMailbox, now: Date) throws -> [(String, Int)] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT c.slug, count(*) FROM mailbox_sends s JOIN campaigns c ON c.id = s.campaign_id
            WHERE s.mailbox_id = ? AND s.day = ? GROUP BY c.slug ORDER BY c.slug
            """, arguments: [mailbox.id, mailbox.mailbox.day(of: now)]).map { ($0[0], $0[1]) }
    }

    static func guardrailsJSON(_ guardrails: Guardrails) -> String {
        JSONText.write(.object([
            ("hard_bounce_rate", .double(guardrails.hardBounceRate)), ("complaint_rate", .double(guardrails.complaintRate)),
            ("min_sends", .int(Int64(guardrails.minSends))), ("window_seconds", .int(Int64(guardrails.windowSeconds))),
        ]))
    }

    private static func guardrails(_ json: String?) -> Guardrails? {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return Guardrails(stored: object)
    }

    private static func decode(_ row: SQLRecord) throws -> StoredMailbox {
        let warmupStart: Int? = row["warmup_start"]
        let warmupIncrease: Int? = row["warmup_increase"]
        let mailbox = Mailbox(
            address: row["address"], timezone: row["timezone"], dailyCap: row["daily_cap"],
            warmup: warmupStart.map { Mailbox.Warmup(start: $0, increase: warmupIncrease ?? 0) },
            minGapSeconds: row["min_gap_seconds"], jitterSeconds: row["jitter_seconds"], guardrails: guardrails(row["guardrails"]))
        return StoredMailbox(
            id: row["id"], mailbox: mailbox, status: StoredMailbox.Status(rawValue: row["status"]) ?? .paused,
            statusReason: row["status_reason"], autoPaused: row["auto_paused"],
            guardrailsSince: (row["guardrails_since"] as String?).flatMap(Timestamp.parse),
            day: row["day"], sentToday: row["sent_today"], firstSendDay: row["first_send_day"],
            lastSendAt: (row["last_send_at"] as String?).flatMap(Timestamp.parse),
            nextSendAt: (row["next_send_at"] as String?).flatMap(Timestamp.parse))
    }
}
