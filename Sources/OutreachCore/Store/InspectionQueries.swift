import Foundation

/// Everything `leads show` judges a lead by, read in one transaction: the lead, its jobs and
/// decisions, the kill switch, and, when it has a next action time, the facts the tick's
/// rules would judge it by then.
struct LeadEvidence {
    /// The facts at the instant the lead is judged (`LeadInspection.judgedAt`).
    struct Facts {
        let at: Date
        let compliance: ComplianceFacts
        let quotaUsed: Int
        /// The mailboxes among the lead's possible senders, by address.
        let mailboxes: [String: StoredMailbox]
        /// nil when the database has none (the rendering check is then left out).
        let installationID: String?
    }

    let lead: Lead
    let jobs: [Job]
    let decisions: [LeadInspection.DecisionSummary]
    let killSwitch: KillSwitch
    /// nil when the lead is not waiting for a step (it left the sequence, or has no next action).
    let facts: Facts?
}

/// The SQL of `leads show` (`LeadInspection`).
enum InspectionQueries {
    /// The evidence about the lead of `campaign` with this address, or a bad-input error
    /// saying how to find the right address.
    static func evidence(_ db: any SQLConnection, campaign stored: StoredCampaign, email: String, now: Date) throws -> LeadEvidence {
        let normalized = EmailAddress.normalize(email)
        guard let lead = try LeadQueries.find(db, campaignID: stored.id, email: normalized) else {
            throw OutreachError.badInput(
                "Campaign \(stored.slug) has no lead \(EmailAddress.printable(normalized)); `outreach leads list \(stored.slug)` shows its leads.")
        }
        return LeadEvidence(lead: lead, jobs: try JobQueries.forLead(db, leadID: lead.id), decisions: try decisions(db, leadID: lead.id),
                            killSwitch: try ListQueries.killSwitch(db), facts: try facts(db, campaign: stored, lead: lead, now: now))
    }

    /// The decisions about a lead, oldest first.
    static func decisions(_ db: any SQLConnection, leadID: Int64) throws -> [LeadInspection.DecisionSummary] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT run_id, decided_at, decision, reason, job_id FROM decisions WHERE lead_id = ? ORDER BY id
            """, arguments: [leadID]).map {
            LeadInspection.DecisionSummary(runID: $0[0], decidedAt: Timestamp.parse($0[1]) ?? .distantPast, kind: $0[2],
                                           reason: $0[3], jobID: $0[4])
        }
    }

    private static func facts(_ db: any SQLConnection, campaign stored: StoredCampaign, lead: Lead,
                              now: Date) throws -> LeadEvidence.Facts? {
        guard let at = LeadInspection.judgedAt(lead, now: now) else { return nil }
        let campaign = stored.campaign
        let senders = lead.sender.map { [$0] } ?? campaign.sender.from.compactMap { MailboxText.parse($0)?.address }
        return LeadEvidence.Facts(
            at: at,
            compliance: try TickQueries.facts(db, email: lead.email, domain: lead.domain, campaignID: stored.id, now: at,
                                              needLastContact: campaign.limits.cooldownSeconds > 0),
            quotaUsed: try TickQueries.quotaUsed(db, campaignID: stored.id, day: QuotaDay.of(at, in: campaign.timeZone)),
            mailboxes: try MailboxQueries.find(db, addresses: senders),
            installationID: try? SafetyQueries.installationID(db))
    }
}
