import Foundation

/// Applies the guardrails (SPEC §12): counts a campaign's or a mailbox's sends, hard bounces
/// and complaints over the window (from the last resume on) and pauses it, with the rates in
/// the reason, when they are reached. Only `campaign resume` / `mailbox resume` lifts it.
///
/// It runs where the counts change: after feedback is recorded (`events import`, `serve`'s
/// webhooks, `import-mail`, all through `EventImporter`), and in the tick before dispatching.
public enum ReputationGuard {
    /// The campaigns and senders whose feedback changed in a transaction.
    public struct Affected: Sendable, Equatable {
        var campaignIDs: Set<Int64> = []
        var senders: Set<String> = []

        var isEmpty: Bool { campaignIDs.isEmpty && senders.isEmpty }
    }

    /// Records a hard bounce or complaint against each lead it matched.
    static func record(_ db: any SQLConnection, eventID: String, kind: ReputationKind, leads: [Lead], at: Date,
                       into affected: inout Affected) throws {
        // Only leads that were sent something: a bounce says nothing of a campaign that never wrote.
        for lead in leads where lead.lastContactedAt != nil {
            try db.execute(sql: """
                INSERT INTO reputation_events (event_id, lead_id, campaign_id, sender, kind, occurred_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [eventID, lead.id, lead.campaignID, lead.sender, kind.rawValue, Timestamp.format(at)])
            affected.campaignIDs.insert(lead.campaignID)
            if let sender = lead.sender { affected.senders.insert(sender) }
        }
    }

    /// What one check found: a pause it set now (the reason), or no pause, with the sends it
    /// counted (nil when the window holds no bounce or complaint: then nothing can trip and
    /// the sends are not counted at all).
    enum Check {
        case paused(String)
        case clear(sends: Int?)
    }

    /// Reviews what feedback touched; returns the pause reasons it set, one line each.
    static func review(_ db: any SQLConnection, _ affected: Affected, now: Date) throws -> [String] {
        var paused: [String] = []
        for id in affected.campaignIDs.sorted() {
            guard let stored = try CampaignQueries.find(db, id: id), stored.status == .active else { continue }
            if case .paused(let reason) = try campaign(db, id: id, guardrails: stored.campaign.effectiveGuardrails, now: now) {
                paused.append("campaign \(stored.slug) \(reason)")
            }
        }
        for address in affected.senders.sorted() {
            guard let mailbox = try MailboxQueries.find(db, address: address), mailbox.status == .active else { continue }
            if case .paused(let reason) = try self.mailbox(db, mailbox, now: now) { paused.append("mailbox \(address) \(reason)") }
        }
        return paused
    }

    /// Pauses an active campaign whose rates are reached.
    static func campaign(_ db: any SQLConnection, id: Int64, guardrails: Guardrails, now: Date) throws -> Check {
        let since = guardrails.windowStart(now: now, since: try GuardrailQueries.campaignSince(db, id: id))
        let counts = try GuardrailQueries.campaignCounts(db, campaignID: id, since: since)
        guard let reason = guardrails.breach(counts) else { return .clear(sends: counted(counts)) }
        try db.execute(sql: """
            UPDATE campaigns SET status = 'paused', status_reason = ?, auto_paused = 1, updated_at = ? WHERE id = ? AND status = 'active'
            """, arguments: [reason, Timestamp.format(now), id])
        return db.changesCount > 0 ? .paused(reason) : .clear(sends: counts.sends)
    }

    /// Pauses an active mailbox whose rates are reached.
    static func mailbox(_ db: any SQLConnection, _ mailbox: StoredMailbox, now: Date) throws -> Check {
        let guardrails = mailbox.mailbox.effectiveGuardrails
        let since = guardrails.windowStart(now: now, since: mailbox.guardrailsSince)
        let counts = try GuardrailQueries.mailboxCounts(db, mailbox, since: since)
        guard let reason = guardrails.breach(counts) else { return .clear(sends: counted(counts)) }
        try MailboxQueries.setStatus(db, mailbox, .paused, reason: reason, auto: true, now: now)
        return .paused(reason)
    }

    /// The sends of a cheap count, nil when they were not counted (no event in the window).
    private static func counted(_ counts: ReputationCounts) -> Int? {
        counts.hardBounces + counts.complaints == 0 ? nil : counts.sends
    }

    /// The counts of a campaign now (for status and summaries).
    public static func campaignCounts(_ db: any SQLConnection, id: Int64, guardrails: Guardrails, now: Date) throws -> ReputationCounts {
        try GuardrailQueries.campaignCounts(
            db, campaignID: id, since: guardrails.windowStart(now: now, since: try GuardrailQueries.campaignSince(db, id: id)), cheap: false)
    }

    /// The counts of a mailbox now (for `mailbox show`, status and metrics).
    public static func mailboxCounts(_ db: any SQLConnection, _ mailbox: StoredMailbox, now: Date) throws -> ReputationCounts {
        let guardrails = mailbox.mailbox.effectiveGuardrails
        return try GuardrailQueries.mailboxCounts(db, mailbox, since: guardrails.windowStart(now: now, since: mailbox.guardrailsSince),
                                                  cheap: false)
    }
}

/// The feedback that counts against a sender's reputation.
enum ReputationKind: String {
    case hardBounce = "hard_bounce"
    case complaint
}

/// The SQL of the guardrail counts.
enum GuardrailQueries {
    static func campaignSince(_ db: any SQLConnection, id: Int64) throws -> Date? {
        try String.fetchOne(db, sql: "SELECT guardrails_since FROM campaigns WHERE id = ?", arguments: [id]).flatMap(Timestamp.parse)
    }

    /// Sends are messages (first attempts) handed over or recorded after `since`, not counting
    /// those that failed; events are hard bounces and complaints that occurred after it.
    /// Strictly after: timestamps have whole seconds, and what shares the second of a resume
    /// belongs to before it.
    /// `cheap`: with no event in the window the sends are not counted (nothing can trip).
    static func campaignCounts(_ db: any SQLConnection, campaignID: Int64, since: Date, cheap: Bool = true) throws -> ReputationCounts {
        let stamp = Timestamp.format(since)
        var counts = try eventCounts(db, sql: "campaign_id = ?", argument: campaignID, since: stamp)
        if cheap, counts.hardBounces + counts.complaints == 0 { return counts }
        counts.sends = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM jobs WHERE campaign_id = ? AND created_at > ?
              AND status NOT IN ('failed', 'dead', 'cancelled')
            """, arguments: [campaignID, stamp]) ?? 0
        return counts
    }

    static func mailboxCounts(_ db: any SQLConnection, _ mailbox: StoredMailbox, since: Date, cheap: Bool = true) throws -> ReputationCounts {
        let stamp = Timestamp.format(since)
        var counts = try eventCounts(db, sql: "sender = ?", argument: mailbox.address, since: stamp)
        if cheap, counts.hardBounces + counts.complaints == 0 { return counts }
        counts.sends = try Int.fetchOne(db, sql: """
            SELECT count(DISTINCT s.job_id) FROM mailbox_sends s JOIN jobs j ON j.id = s.job_id
            WHERE s.mailbox_id = ? AND s.sent_at > ? AND j.status NOT IN ('failed', 'dead', 'cancelled')
            """, arguments: [mailbox.id, stamp]) ?? 0
        return counts
    }

    private static func eventCounts(_ db: any SQLConnection, sql condition: String, argument: some SQLBindable,
                                    since: String) throws -> ReputationCounts {
        var counts = ReputationCounts(sends: 0, hardBounces: 0, complaints: 0)
        for row in try SQLRecord.fetchAll(db, sql: """
            SELECT kind, count(*) FROM reputation_events WHERE \(condition) AND occurred_at > ? GROUP BY kind
            """, arguments: [argument, since]) {
            let kind: String = row[0]
            if kind == ReputationKind.hardBounce.rawValue { counts.hardBounces = row[1] } else { counts.complaints = row[1] }
        }
        return counts
    }
}
