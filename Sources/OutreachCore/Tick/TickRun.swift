import Foundation
import Logging

/// The state and phases of one running tick, after its lease was taken.
final class TickRun {
    /// What `Tick.start` established in the lease transaction.
    struct State {
        let stored: StoredCampaign
        var grant: LeaseGrant
        let startedAt: Date
        let perTickLimit: Int
        var quotaDay: String
        var quotaUsed: Int
        let transport: any Transport
        /// This database's random id, part of every identifier that leaves the machine.
        let installationID: String
    }

    /// How one unit of work ended.
    enum GroupResult {
        /// Nothing more to do in this phase.
        case exhausted
        /// Keep going with another unit.
        case proceed
        /// Stop the run for this reason.
        case stop(StopReason)
        /// A live claim was committed: send it, then settle it.
        case claimed(PendingDispatch)
    }

    let request: TickRequest
    let dependencies: TickDependencies
    let scope: any DatabaseScope
    var state: State
    let campaign: Campaign
    let campaignID: Int64
    var counters = RunCounters()
    var decisionCounts: [DecisionKind: Int] = [:]
    let windows: WindowStateCache
    /// "now" is written a dozen times per lead; it is formatted once per second.
    let stamps = TimestampCache()
    let backoff: BackoffPolicy
    let breaker: CircuitBreaker
    var logger: Logger
    let transport: any Transport
    /// Built on the first lead that needs a message: a tick with nothing due parses no template.
    lazy var builder: Result<MessageBuilder, any Error> = Result {
        try MessageBuilder(campaign: campaign, secrets: dependencies.secrets, installationID: state.installationID)
    }
    /// The campaign's senders in file order, with their bare addresses.
    let senders: [(from: String, address: String)]
    /// Their addresses alone, in file order (what the rotation reads).
    let senderAddresses: [String]
    /// The senders' mailboxes as of this group (see `loadMailboxes`), by address.
    var mailboxes: [String: StoredMailbox] = [:]
    /// Leads this run postponed per mailbox, so each waits for its own estimated slot.
    var mailboxQueue: [String: Int] = [:]
    /// The last guardrail count per campaign/mailbox in this run (see `guardrailsMayTrip`).
    var guardrailChecks: [String: (sends: Int, dispatched: Int)] = [:]
    private let monotonicStart = ContinuousClock.now
    /// When the fencing token was last confirmed inside a transaction.
    var lastLeaseCheck = ContinuousClock.now
    /// A claim older than this when its send comes is confirmed again first.
    static let staleClaim: Duration = .seconds(1)

    init(request: TickRequest, dependencies: TickDependencies, scope: any DatabaseScope, state: State) {
        self.request = request
        self.dependencies = dependencies
        self.scope = scope
        self.state = state
        campaign = state.stored.campaign
        campaignID = state.stored.id
        windows = WindowStateCache(window: SendingWindow(campaign.window))
        backoff = BackoffPolicy(campaign.retry)
        breaker = CircuitBreaker(campaign.circuitBreaker)
        transport = state.transport
        senders = state.stored.campaign.sender.from.map { ($0, MailboxText.parse($0)?.address ?? EmailAddress.normalize($0)) }
        senderAddresses = senders.map(\.address)
        logger = dependencies.logger
        logger[metadataKey: "campaign"] = .string(campaign.slug)
        logger[metadataKey: "run_id"] = .string(state.grant.runID)
    }

    var now: Date { dependencies.clock.now() }

    // MARK: - Phases

    func execute() throws -> TickReport {
        logger.info("tick started", metadata: [
            "mode": .string(request.mode.rawValue), "dry_run": .stringConvertible(request.dryRun),
            "fencing_token": .stringConvertible(state.grant.fencingToken),
        ])
        var failure: OutreachError?
        let ending: (RunStatus, StopReason?)
        do {
            if let gate = try checkGates() {
                if gate == .unapproved {
                    failure = .configuration(
                        "Campaign \(campaign.slug) is not approved for live sending in its current version; review it, run `outreach campaign approve \(campaign.slug) --by NAME`, then tick again. The run was recorded as stopped.")
                }
                ending = (.stopped, gate)
            } else {
                var reason: StopReason?
                if request.mode == .live {
                    try recoverInFlight()
                    reason = try runPhase(.retries)
                }
                if reason == nil { reason = try runPhase(.dueLeads) }
                ending = Self.ending(for: reason)
            }
        } catch is LeaseLost {
            logger.error("lease lost: another process took over this campaign; stopping without further writes")
            return report(status: .leaseLost, reason: .leaseLost, finishedAt: now)
        } catch {
            _ = try? finish(status: .failed, reason: .error)
            throw error
        }
        do {
            let finishedAt = try finish(status: ending.0, reason: ending.1)
            var result = report(status: ending.0, reason: ending.1, finishedAt: finishedAt)
            result.failure = failure
            logger.info("tick finished", metadata: [
                "status": .string(ending.0.rawValue), "stop_reason": .string(ending.1?.rawValue ?? ""),
                "dispatched": .stringConvertible(counters.dispatched), "skipped": .stringConvertible(counters.skipped),
            ])
            return result
        } catch is LeaseLost {
            return report(status: .leaseLost, reason: .leaseLost, finishedAt: now)
        }
    }

    static func ending(for reason: StopReason?) -> (RunStatus, StopReason?) {
        switch reason {
        case nil: (.completed, nil)
        case .perTickLimit?: (.completed, .perTickLimit)
        case let other?: (.stopped, other)
        }
    }

    /// SPEC §4 step 2: paused or archived, kill switch, live without approval, outside the
    /// window, quota used up. Returns the reason to stop, or nil to go on.
    private func checkGates() throws -> StopReason? {
        try scope.read("checking the gates of \(campaign.slug)") { db in
            let (status, _) = try CampaignQueries.status(db, id: campaignID)
            if status == .paused { return .paused }
            if status == .archived { return .archived }
            if try ListQueries.killSwitch(db).enabled { return .killSwitch }
            if request.mode == .live, !request.dryRun, !(try CampaignQueries.find(db, id: campaignID)?.isApproved ?? false) {
                return .unapproved
            }
            if !campaign.window.recipientTimezone, !windows.state(at: now, zone: campaign.timezone).isOpen {
                return .outsideWindow
            }
            if state.quotaUsed >= campaign.limits.dailyQuota { return .dailyQuota }
            return nil
        }
    }

    /// SPEC §4 step 3: jobs left `dispatching` by an earlier run become `unknown`.
    private func recoverInFlight() throws {
        let recovered = try scope.write("recovering interrupted jobs of \(campaign.slug)") { db in
            try guardLease(db)
            return try TickQueries.recoverInFlight(db, campaignID: campaignID, runID: state.grant.runID, now: now)
        }
        counters.unknownRecovered = recovered.count
        for id in recovered {
            logger.warning("job interrupted mid-send is now unknown; it will not be re-sent automatically (see `outreach jobs retry`)",
                           metadata: ["job_id": .stringConvertible(id)])
        }
        dependencies.afterCommit?()
    }

    /// How long the tick lets go of the write lock between two groups, and after how long
    /// of holding it back to back (see `runPhase`).
    static let pauseBetweenGroups: TimeInterval = 0.001
    static let holdBeforePause: Duration = .milliseconds(100)
    private var lastPause = ContinuousClock.now

    /// The two phases that consider candidates: due retries (live only), then due leads.
    enum Phase { case retries, dueLeads }

    /// Runs one phase in units of work until it is exhausted or something stops the run.
    private func runPhase(_ phase: Phase) throws -> StopReason? {
        var cursor = TickQueries.Cursor()
        while true {
            let result = try scope.write("dispatching for \(campaign.slug)") { db in
                try processGroup(db, phase: phase, cursor: &cursor)
            }
            dependencies.afterCommit?()
            switch result {
            case .exhausted: return nil
            case .stop(let reason): return reason
            case .proceed:
                // A breath every 100 ms of back-to-back groups: SQLite's write lock is not fair,
                // and without it a long proof tick would make `serve`'s unsubscribes (which poll
                // every millisecond) wait for the whole run. Costs about 1 % of a proof tick.
                if ContinuousClock.now - lastPause >= Self.holdBeforePause {
                    Thread.sleep(forTimeInterval: Self.pauseBetweenGroups)
                    lastPause = ContinuousClock.now
                }
                continue
            case .claimed(let pending):
                // The claim committed a moment ago. If this process was frozen since (SIGSTOP,
                // a paused VM) the lease may have passed to another tick and an opt-out may have
                // been committed: look again before handing the message over.
                if ContinuousClock.now - lastLeaseCheck > Self.staleClaim {
                    let stillSendable = try scope.write("re-checking job \(pending.jobID) before sending") { db in
                        try guardLease(db)
                        return try confirmClaim(db, pending)
                    }
                    dependencies.afterCommit?()
                    if !stillSendable { continue }
                }
                let outcome = transport.send(pending.message)
                try scope.write("recording the result of job \(pending.jobID)") { db in
                    try guardLease(db)
                    try settle(db, pending, outcome: outcome)
                }
                dependencies.afterCommit?()
            }
        }
    }

    /// One transaction: lease check, stop checks, then candidates until the group is full,
    /// a live claim needs sending, or something stops the run.
    private func processGroup(_ db: any SQLConnection, phase: Phase, cursor: inout TickQueries.Cursor) throws -> GroupResult {
        try guardLease(db)
        try refreshQuota(db)
        try loadMailboxes(db)
        let groupLimit = request.mode == .proof ? max(1, request.groupSize) : 16
        let groupStart = ContinuousClock.now
        switch phase {
        case .dueLeads:
            let leads = try TickQueries.dueLeads(db, campaignID: campaignID, now: stamps.format(now), after: cursor,
                                                 runID: state.grant.runID, limit: groupLimit)
            guard let first = leads.first else { return .exhausted }
            if let stop = try midRunStop(db, first: first, stepIndex: first.stepIndex) { return .stop(stop) }
            for lead in leads {
                if let stop = preLeadStop() { return .stop(stop) }
                cursor = .init(time: Timestamp.format(lead.nextActionAt) ?? "", id: lead.id)
                switch try considerLead(db, lead) {
                case .exhausted, .proceed: break
                case let other: return other
                }
                if ContinuousClock.now - groupStart > request.groupDuration { return .proceed }
            }
        case .retries:
            let jobs = try TickQueries.dueRetries(db, campaignID: campaignID, now: now, after: cursor, limit: groupLimit)
            guard let first = jobs.first else { return .exhausted }
            if let lead = try LeadQueries.find(db, id: first.leadID),
               let stop = try midRunStop(db, first: lead, stepIndex: first.stepIndex) { return .stop(stop) }
            for job in jobs {
                if let stop = preLeadStop() { return .stop(stop) }
                cursor = .init(time: Timestamp.format(job.nextAttemptAt) ?? "", id: job.id)
                switch try considerRetry(db, job) {
                case .exhausted, .proceed: break
                case let other: return other
                }
                if ContinuousClock.now - groupStart > request.groupDuration { return .proceed }
            }
        }
        return .proceed
    }

    /// Stops that need no database: a signal, or the per-tick limit reached.
    private func preLeadStop() -> StopReason? {
        if dependencies.stopFlag?.isSet == true { return .signal }
        if counters.dispatched >= state.perTickLimit { return .perTickLimit }
        return nil
    }

    /// Pause and kill switch, re-read inside the transaction before any dispatch. The lead
    /// that would have been next gets the `stopped_*` decision, untouched.
    private func midRunStop(_ db: any SQLConnection, first lead: Lead, stepIndex: Int) throws -> StopReason? {
        let (status, _) = try CampaignQueries.status(db, id: campaignID)
        let reason: StopReason?
        let kind: DecisionKind
        if status != .active {
            reason = status == .paused ? .paused : .archived
            kind = .stoppedPaused
        } else if try ListQueries.killSwitch(db).enabled {
            reason = .killSwitch
            kind = .stoppedKillSwitch
        } else if let paused = try campaignGuardrailStop(db) {
            logger.warning("campaign paused by its guardrails: \(paused)")
            guard preLeadStop() == nil else { return .autoPause }
            try decide(db, lead, stepIndex: stepIndex, .stoppedAutoPause, reason: paused, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt))
            return .autoPause
        } else {
            return nil
        }
        guard preLeadStop() == nil, let reason else { return reason }
        try decide(db, lead, stepIndex: stepIndex, kind, reason: "\(reason.rawValue) turned on during the run",
                   statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt))
        return reason
    }

    /// Checks the fencing token and renews the lease when half of it has passed.
    func guardLease(_ db: any SQLConnection) throws {
        guard try LeaseQueries.isCurrent(db, state.grant) else { throw LeaseLost() }
        lastLeaseCheck = ContinuousClock.now
        let instant = now
        if state.grant.needsRenewal(at: instant) {
            try LeaseQueries.renew(db, &state.grant, now: instant)
            logger.debug("lease renewed", metadata: ["expires_at": .string(Timestamp.format(state.grant.expiresAt))])
        }
    }

    /// Recounts the quota when the campaign-local day changed during the run.
    private func refreshQuota(_ db: any SQLConnection) throws {
        let day = QuotaDay.of(now, in: campaign.timeZone)
        guard day != state.quotaDay else { return }
        state.quotaDay = day
        state.quotaUsed = try TickQueries.quotaUsed(db, campaignID: campaignID, day: day)
    }

    /// Writes the run's ending and frees the lease; returns the finish time.
    @discardableResult
    private func finish(status: RunStatus, reason: StopReason?) throws -> Date {
        try scope.write("finishing the run of \(campaign.slug)") { db in
            guard try LeaseQueries.isCurrent(db, state.grant) else { throw LeaseLost() }
            let finishedAt = now
            let elapsed = ContinuousClock.now - monotonicStart
            let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            try RunQueries.finish(db, runID: state.grant.runID, status: status, stopReason: reason?.rawValue,
                                  finishedAt: finishedAt, durationMs: milliseconds, counters: counters)
            if !request.dryRun { try SafetyQueries.guardClock(db, now: finishedAt) }
            try LeaseQueries.release(db, state.grant)
            return finishedAt
        }
    }

    private func report(status: RunStatus, reason: StopReason?, finishedAt: Date) -> TickReport {
        TickReport(
            slug: campaign.slug, runID: state.grant.runID, mode: request.mode, dryRun: request.dryRun,
            owner: dependencies.owner, fencingToken: state.grant.fencingToken, startedAt: state.startedAt,
            finishedAt: finishedAt, status: status, stopReason: reason, counters: counters,
            decisionCounts: decisionCounts, quotaUsed: state.quotaUsed, dailyQuota: campaign.limits.dailyQuota,
            failure: nil,
            windowOpensAt: reason == .outsideWindow ? windows.state(at: now, zone: campaign.timezone).changesAt : nil)
    }
}

/// The transport of a live dry run: reports success and sends nothing.
struct DryRunTransport: Transport {
    var breakerKey: String { "dry-run" }
    func send(_ message: OutgoingMessage) -> SendOutcome { .sent }
}
