import Foundation

/// What `outreach status` shows for one campaign: is it running, may it send, how much has
/// it sent today, what is waiting, and is its transport healthy.
public struct CampaignStatus: Sendable {
    public let slug: String
    public let status: StoredCampaign.Status
    public let statusReason: String?
    public let approved: Bool
    public let lease: Lease
    public let leaseHeld: Bool
    public let lastRun: Run?
    public let quotaDay: String
    public let quotaUsedToday: Int
    public let quotaRemainingToday: Int
    public let dueNow: Int
    public let leadsByStatus: [(LeadStatus, Int)]
    public let jobsByStatus: [(JobStatus, Int)]
    public let retriesPending: Int
    public let unknownJobs: Int
    public let transport: String
    public let breaker: BreakerState?
    public let killSwitch: Bool
    /// Paused by its guardrails (the reason names the rates).
    public let autoPaused: Bool
    /// Sends, hard bounces and complaints in the guardrail window (SPEC §12).
    public let reputation: ReputationCounts
    public let guardrails: Guardrails
    /// The mailboxes of its senders (addresses without a mailbox entry are not listed).
    public let mailboxes: [MailboxStatus]

    /// Reads the status of a campaign at `now`.
    public static func read(_ db: any SQLConnection, campaign stored: StoredCampaign, now: Date) throws -> CampaignStatus {
        let campaign = stored.campaign
        let day = QuotaDay.of(now, in: campaign.timeZone)
        let used = try TickQueries.quotaUsed(db, campaignID: stored.id, day: day)
        let jobs = try JobQueries.countsByStatus(db, campaignID: stored.id)
        let lease = try LeaseQueries.read(db, campaignID: stored.id)
        return CampaignStatus(
            slug: stored.slug, status: stored.status, statusReason: stored.statusReason, approved: stored.isApproved,
            lease: lease, leaseHeld: lease.isHeld(at: now),
            lastRun: try RunQueries.list(db, campaignID: stored.id, limit: 1).first,
            quotaDay: day, quotaUsedToday: used, quotaRemainingToday: max(0, campaign.limits.dailyQuota - used),
            dueNow: try LeadQueries.dueCount(db, campaignID: stored.id, now: now),
            leadsByStatus: try LeadQueries.countsByStatus(db, campaignID: stored.id),
            jobsByStatus: jobs,
            retriesPending: jobs.first { $0.0 == .retryScheduled }?.1 ?? 0,
            unknownJobs: jobs.first { $0.0 == .unknown }?.1 ?? 0,
            transport: campaign.transport.kind,
            breaker: try BreakerQueries.state(db, key: campaign.transport.breakerKey),
            killSwitch: try ListQueries.killSwitch(db).enabled,
            autoPaused: try Bool.fetchOne(db, sql: "SELECT auto_paused FROM campaigns WHERE id = ?", arguments: [stored.id]) ?? false,
            reputation: try ReputationGuard.campaignCounts(db, id: stored.id, guardrails: campaign.effectiveGuardrails, now: now),
            guardrails: campaign.effectiveGuardrails,
            mailboxes: try mailboxes(db, of: campaign, now: now))
    }

    /// The mailboxes of the campaign's senders, in file order.
    private static func mailboxes(_ db: any SQLConnection, of campaign: Campaign, now: Date) throws -> [MailboxStatus] {
        let addresses = campaign.sender.from.compactMap { MailboxText.parse($0)?.address }
        let found = try MailboxQueries.find(db, addresses: addresses)
        return try addresses.compactMap { address in try found[address].map { try MailboxStatus.make(db, $0, now: now) } }
    }

    /// The transport's health in a word or two.
    public var transportHealth: String {
        guard let breaker, breaker.state != .closed else { return "ok" }
        return "breaker \(breaker.state.rawValue)" + (breaker.openUntil.map { " until \(Timestamp.format($0))" } ?? "")
    }

    /// The JSON object of `status --format json`.
    public var json: JSONText.Value {
        .object([
            ("slug", .string(slug)), ("status", .string(status.rawValue)), ("status_reason", .optional(statusReason)),
            ("approved", .bool(approved)), ("kill_switch", .bool(killSwitch)),
            ("lease_owner", .optional(leaseHeld ? lease.owner : nil)),
            ("lease_expires_at", .timestamp(leaseHeld ? lease.expiresAt : nil)),
            ("fencing_token", .int(lease.fencingToken)),
            ("last_run", lastRun.map { run in
                .object([("run_id", .string(run.id)), ("status", .string(run.status.rawValue)), ("stop_reason", .optional(run.stopReason)),
                         ("started_at", .timestamp(run.startedAt)), ("finished_at", .timestamp(run.finishedAt)),
                         ("dispatched", .int(Int64(run.counters.dispatched))), ("skipped", .int(Int64(run.counters.skipped)))])
            } ?? .null),
            ("quota_day", .string(quotaDay)),
            ("quota_used_today", .int(Int64(quotaUsedToday))), ("quota_remaining_today", .int(Int64(quotaRemainingToday))),
            ("due_now", .int(Int64(dueNow))),
            ("leads_by_status", .object(leadsByStatus.map { ($0.0.rawValue, .int(Int64($0.1))) })),
            ("jobs_by_status", .object(jobsByStatus.map { ($0.0.rawValue, .int(Int64($0.1))) })),
            ("retries_pending", .int(Int64(retriesPending))), ("unknown_jobs", .int(Int64(unknownJobs))),
            ("transport", .string(transport)), ("transport_health", .string(transportHealth)),
            ("auto_paused", .bool(autoPaused)),
            ("guardrails", .object([
                ("sends_in_window", .int(Int64(reputation.sends))), ("hard_bounces", .int(Int64(reputation.hardBounces))),
                ("complaints", .int(Int64(reputation.complaints))),
                ("hard_bounce_rate", .double(reputation.hardBounceRate)), ("complaint_rate", .double(reputation.complaintRate)),
                ("hard_bounce_limit", .double(guardrails.hardBounceRate)), ("complaint_limit", .double(guardrails.complaintRate)),
                ("min_sends", .int(Int64(guardrails.minSends))), ("window", .string(DurationText.format(guardrails.windowSeconds))),
            ])),
            ("mailboxes", .array(mailboxes.map(\.json))),
            ("breaker", breaker.map { breaker in
                .object([("state", .string(breaker.state.rawValue)), ("consecutive_failures", .int(Int64(breaker.consecutiveFailures))),
                         ("open_until", .timestamp(breaker.openUntil))])
            } ?? .null),
        ])
    }
}
