import Foundation
import Logging

/// A dispatch decided and claimed in this transaction, not yet recorded as sent.
struct PendingDispatch {
    let lead: Lead
    let jobID: Int64
    /// The job's key in the database (`{campaign_id}:{lead_id}:{step_id}:{step_index}`).
    let key: String
    let stepID: String
    let stepIndex: Int
    let message: OutgoingMessage
    /// The attempt this dispatch is.
    let attempt: Int
    /// `dispatched` (a first attempt) or `retry_dispatched`.
    let kind: DecisionKind
    /// When the job's first attempt was claimed (the idempotency window counts from it).
    let firstAttemptAt: Date
    /// The step ids the lead had jobs for before this one.
    let received: Set<String>
    /// The address it goes from (the lead keeps it, SPEC §12).
    let sender: String?
}

/// A job as a decision row records it.
typealias JobNote = (id: Int64, status: JobStatus, attempt: Int, nextAttemptAt: Date?, error: String?)

extension TickRun {
    // MARK: - Leads

    /// SPEC §4 step 5 for one due lead: decide, and apply the decision in this transaction.
    /// The step it gets is chosen by step id (`StepPlan`), not by its position.
    func considerLead(_ db: any SQLConnection, _ lead: Lead) throws -> GroupResult {
        counters.considered += 1
        // A lead that was never sent anything has no jobs (a claim makes it wait, a cancel fails it).
        let received = lead.status == .new ? [] : try TickQueries.receivedSteps(db, leadID: lead.id)
        let stepIndex = StepPlan.next(steps: campaign.steps, received: received) ?? campaign.steps.count
        switch try verdict(db, lead, stepIndex: stepIndex) {
        case .block(let kind, let reason):
            try TickQueries.updateLead(db, leadID: lead.id, status: .blocked, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: reason, now: stamps.format(now))
            try decide(db, lead, stepIndex: stepIndex, kind, reason: reason, statusAfter: .blocked, nextActionAt: nil)
        case .postpone(let kind, let until, let reason):
            try TickQueries.postponeLead(db, leadID: lead.id, until: stamps.format(until), now: stamps.format(now))
            try decide(db, lead, stepIndex: stepIndex, kind, reason: reason, statusAfter: lead.status, nextActionAt: stamps.format(until))
        case .quotaExhausted(let reason):
            try decide(db, lead, stepIndex: stepIndex, .skippedQuota, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt))
            return .stop(.dailyQuota)
        case .complete:
            try TickQueries.updateLead(db, leadID: lead.id, status: .completed, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: nil, now: stamps.format(now))
            try decide(db, lead, stepIndex: stepIndex, .completed, reason: "no step left for this lead in the campaign",
                       statusAfter: .completed, nextActionAt: nil)
        case .dispatch(let stepIndex):
            let sender: SenderChoice
            switch chooseSender(for: lead) {
            case .postpone(let kind, let until, let reason):
                try postpone(db, lead, stepIndex: stepIndex, kind, until: until, reason: reason)
                return .proceed
            case .send(let choice):
                sender = choice
            }
            let step = campaign.steps[stepIndex]
            let key = MessageBuilder.idempotencyKey(campaignID: campaignID, leadID: lead.id, stepID: step.id, stepIndex: stepIndex)
            let builder = try builder.get()
            let thread = builder.isThreaded(stepIndex) ? try threadParent(db, leadID: lead.id) : nil
            switch builder.build(lead: lead, stepIndex: stepIndex, idempotencyKey: key, date: now, from: sender.from, thread: thread) {
            case .failure(let missing):
                try decide(db, lead, stepIndex: stepIndex, .skippedTemplateError,
                           reason: "step \(stepIndex + 1) (\(step.id)) needs {{\(missing.name)}}, which this lead does not have",
                           statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt))
            case .success(let message):
                if let stop = try breakerStop(db, lead, stepIndex: stepIndex) { return stop }
                let seq = try SafetyQueries.nextSequence(db)
                let insert = { try TickQueries.insertJob(
                    db, campaignID: self.campaignID, leadID: lead.id, runID: self.state.grant.runID, key: key, stepID: step.id,
                    stepIndex: stepIndex, mode: self.request.mode, transport: self.transport.breakerKey,
                    status: self.request.mode == .proof ? .sentProof : .dispatching, now: self.stamps.format(self.now), seq: seq,
                    sender: sender.address) }
                var jobID: Int64?
                if sender.mailbox == nil {
                    jobID = try insert()
                } else {
                    // The mailbox's count and the job stand or fall together (and so does
                    // this group's copy of the mailbox).
                    var claimed = true
                    let copy = mailboxes
                    try db.inSavepoint {
                        guard let claim = try claimMailbox(db, sender, jobKey: key) else {
                            claimed = false
                            return .rollback
                        }
                        guard let id = try insert() else {
                            mailboxes = copy
                            return .rollback
                        }
                        try recordMailboxSend(db, claim, jobID: id, attempt: 1)
                        jobID = id
                        return .commit
                    }
                    if !claimed {
                        try postponeForLostClaim(db, lead, stepIndex: stepIndex)
                        return .proceed
                    }
                }
                guard let jobID else {
                    try decide(db, lead, stepIndex: stepIndex, .skippedDuplicate,
                               reason: "step \(step.id) already has a job for this lead (key \(key)); it is never dispatched twice",
                               statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt))
                    return .proceed
                }
                try TickQueries.insertMessage(db, jobID: jobID, message)
                let pending = PendingDispatch(lead: lead, jobID: jobID, key: key, stepID: step.id, stepIndex: stepIndex,
                                              message: message, attempt: 1, kind: .dispatched, firstAttemptAt: now,
                                              received: received, sender: sender.address)
                if request.mode == .proof {
                    try recordSent(db, pending, jobStatus: .sentProof, seq: seq)
                    return .proceed
                }
                try recordClaim(db, pending, seq: seq)
                return .claimed(pending)
            }
        }
        return .proceed
    }

    /// A lead that waits for its mailbox: its due time moves, nothing else.
    private func postpone(_ db: any SQLConnection, _ lead: Lead, stepIndex: Int, _ kind: DecisionKind, until: Date, reason: String) throws {
        try TickQueries.postponeLead(db, leadID: lead.id, until: stamps.format(until), now: stamps.format(now))
        try decide(db, lead, stepIndex: stepIndex, kind, reason: reason, statusAfter: lead.status, nextActionAt: stamps.format(until))
    }

    /// The mailbox said no to a claim the group's copy of it allowed (another process took
    /// the unit or the gap first): the lead waits for what the mailbox says now.
    private func postponeForLostClaim(_ db: any SQLConnection, _ lead: Lead, stepIndex: Int) throws {
        if case .postpone(let kind, let until, let reason) = chooseSender(for: lead) {
            try postpone(db, lead, stepIndex: stepIndex, kind, until: until, reason: reason)
        } else {
            try postpone(db, lead, stepIndex: stepIndex, .skippedMailboxGap, until: now.addingTimeInterval(60),
                         reason: "another process claimed the mailbox's send first; trying again in a minute")
        }
    }

    /// Gathers the facts and judges a lead for `stepIndex`. Facts are looked up only as far
    /// as the rules' order needs them: a DNC lead costs no query, a listed address no
    /// last-contact lookup; `Eligibility` alone decides.
    func verdict(_ db: any SQLConnection, _ lead: Lead, stepIndex: Int) throws -> Verdict {
        let instant = now
        let zone = campaign.window.recipientTimezone ? (lead.timezone ?? campaign.timezone) : campaign.timezone
        let context = Eligibility.Context(
            now: instant, window: windows.state(at: instant, zone: zone), windowZone: zone,
            cooldownSeconds: campaign.limits.cooldownSeconds,
            quotaRemaining: campaign.limits.dailyQuota - state.quotaUsed, dailyQuota: campaign.limits.dailyQuota,
            stepCount: campaign.steps.count)
        var facts = ComplianceFacts()
        if !lead.dnc {
            facts = try TickQueries.listFacts(db, email: lead.email, domain: lead.domain, campaignID: campaignID,
                                              now: stamps.format(instant))
            let listed = facts.unsubscribe != nil || facts.emailSuppression != nil || facts.domainSuppression != nil
            if !listed, context.window.isOpen, campaign.limits.cooldownSeconds > 0 {
                facts.lastContactAt = try TickQueries.lastContact(db, email: lead.email)
            }
        }
        return Eligibility.evaluate(dnc: lead.dnc, dncReason: lead.dncReason, stepIndex: stepIndex, facts: facts, context: context)
    }

    /// Before a late send: is the claimed lead still free of every opt-out? If not, the job
    /// is cancelled unsent and the lead blocked, in this transaction.
    func confirmClaim(_ db: any SQLConnection, _ pending: PendingDispatch) throws -> Bool {
        let lead = try LeadQueries.find(db, id: pending.lead.id) ?? pending.lead
        guard case .block(let kind, let reason) = try verdict(db, lead, stepIndex: pending.stepIndex) else { return true }
        guard try TickQueries.updateJob(db, jobID: pending.jobID, from: .dispatching, to: .cancelled, attempt: pending.attempt,
                                        nextAttemptAt: nil, error: "not sent: \(reason) (committed after the claim)", now: now)
        else { return false }
        try TickQueries.updateLead(db, leadID: lead.id, status: .blocked, stepIndex: lead.stepIndex, nextActionAt: nil,
                                   lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: reason, now: stamps.format(now))
        try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: lead.id, jobStatus: .cancelled, attempt: pending.attempt,
                                       nextAttemptAt: nil, error: "\(kind.rawValue): \(reason)", statusAfter: .blocked, nextActionAt: nil)
        logger.warning("claimed send withdrawn: an opt-out was committed after the claim",
                       metadata: ["job_id": .stringConvertible(pending.jobID), "decision": .string(kind.rawValue)])
        return false
    }

    // MARK: - Circuit breaker

    /// In live mode, asks the transport's breaker; when it is open the lead is left untouched
    /// with `skipped_circuit_open` and the run stops. A trial after the cool-down is marked
    /// `half_open` in this transaction, before the send.
    func breakerStop(_ db: any SQLConnection, _ lead: Lead, stepIndex: Int,
                             job: JobNote? = nil)
        throws -> GroupResult?
    {
        guard request.mode == .live else { return nil }
        let key = transport.breakerKey
        let instant = now
        switch breaker.permission(try BreakerQueries.state(db, key: key), key: key, now: instant) {
        case .allowed:
            return nil
        case .trial(let state):
            try BreakerQueries.save(db, state, now: instant)
            logger.info("circuit breaker half-open: one trial dispatch", metadata: ["transport": .string(key)])
            return nil
        case .blocked(let until):
            try decide(db, lead, stepIndex: stepIndex, .skippedCircuitOpen,
                       reason: "the \(key) transport failed repeatedly; its circuit breaker is open until \(Timestamp.format(until))",
                       statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt), job: job)
            return .stop(.circuitOpen)
        }
    }

    /// Feeds a send's outcome to the transport's breaker.
    func recordBreaker(_ db: any SQLConnection, _ outcome: SendOutcome) throws {
        guard request.mode == .live else { return }
        let key = transport.breakerKey
        let instant = now
        let before = try BreakerQueries.state(db, key: key)
        let after = breaker.record(outcome, on: before, key: key, now: instant)
        guard after != before else { return }
        try BreakerQueries.save(db, after, now: instant)
        if after.state == .open, before?.state != .open {
            logger.warning("circuit breaker opened after \(after.consecutiveFailures) consecutive transient failures", metadata: [
                "transport": .string(key), "open_until": .string(Timestamp.format(after.openUntil) ?? ""),
            ])
        }
    }
}
