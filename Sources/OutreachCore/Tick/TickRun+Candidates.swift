import Foundation
import GRDB
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
    func considerLead(_ db: Database, _ lead: Lead) throws -> GroupResult {
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
                    // The mailbox's count and the job stand or fall together.
                    var claimed = true
                    try db.inSavepoint {
                        guard let claim = try claimMailbox(db, sender, jobKey: key) else {
                            claimed = false
                            return .rollback
                        }
                        guard let id = try insert() else { return .rollback }
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
    private func postpone(_ db: Database, _ lead: Lead, stepIndex: Int, _ kind: DecisionKind, until: Date, reason: String) throws {
        try TickQueries.postponeLead(db, leadID: lead.id, until: stamps.format(until), now: stamps.format(now))
        try decide(db, lead, stepIndex: stepIndex, kind, reason: reason, statusAfter: lead.status, nextActionAt: stamps.format(until))
    }

    /// The mailbox said no to a claim the group's copy of it allowed (another process took
    /// the unit or the gap first): the lead waits for what the mailbox says now.
    private func postponeForLostClaim(_ db: Database, _ lead: Lead, stepIndex: Int) throws {
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
    func verdict(_ db: Database, _ lead: Lead, stepIndex: Int) throws -> Verdict {
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

    // MARK: - Retries

    /// A due retry: the same rules as a lead (a block cancels the job), then another
    /// attempt with the stored message and the same idempotency key. A job whose last
    /// attempt may have reached the provider is retried only inside the transport's
    /// idempotency window; after it, it becomes `unknown` (SPEC §9.1).
    func considerRetry(_ db: Database, _ job: Job) throws -> GroupResult {
        guard let lead = try LeadQueries.find(db, id: job.leadID) else { return .proceed }
        counters.considered += 1
        let instant = now
        let note: JobNote = (job.id, job.status, job.attempt, job.nextAttemptAt, job.lastError)
        // The job's step, where it stands in the campaign now (past the end when it was removed).
        let stepIndex = campaign.steps.firstIndex { $0.id == job.stepID } ?? campaign.steps.count
        switch try verdict(db, lead, stepIndex: stepIndex) {
        case .block(let kind, let reason):
            guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .cancelled, attempt: job.attempt,
                                            nextAttemptAt: nil, error: "cancelled before retry: \(reason)", now: instant)
            else { return .proceed }
            try TickQueries.updateLead(db, leadID: lead.id, status: .blocked, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: reason, now: stamps.format(instant))
            try decide(db, lead, stepIndex: job.stepIndex, kind, reason: reason, statusAfter: .blocked, nextActionAt: nil,
                       job: (job.id, .cancelled, job.attempt, nil, reason))
        case .postpone(let kind, let until, let reason):
            guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .retryScheduled, attempt: job.attempt,
                                            nextAttemptAt: until, error: job.lastError, ambiguous: job.ambiguous, now: instant)
            else { return .proceed }
            try decide(db, lead, stepIndex: job.stepIndex, kind, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, .retryScheduled, job.attempt, until, job.lastError))
        case .quotaExhausted(let reason):
            try decide(db, lead, stepIndex: job.stepIndex, .skippedQuota, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt), job: note)
            return .stop(.dailyQuota)
        case .complete:
            let others = try TickQueries.receivedSteps(db, leadID: lead.id).subtracting([job.stepID])
            return try cancelRetry(db, job, lead: lead, others: others, reason: "step \(job.stepID) is no longer in the campaign")
        case .dispatch:
            // A reorder may have put the job's step before one the lead has received since
            // (SPEC §9.5): then it is never sent.
            let others = try TickQueries.receivedSteps(db, leadID: lead.id).subtracting([job.stepID])
            if let place = StepPlan.place(steps: campaign.steps, received: others), stepIndex < place {
                return try cancelRetry(db, job, lead: lead, others: others,
                                       reason: "step \(job.stepID) now comes before step \(campaign.steps[place].id), which the lead has received")
            }
            if job.ambiguous, let window = transport.idempotencyWindowSeconds,
               instant.timeIntervalSince(job.createdAt) >= Double(window) {
                return try expireAmbiguous(db, job, lead: lead, window: window)
            }
            if let stop = try breakerStop(db, lead, stepIndex: job.stepIndex, job: note) { return stop }
            guard let message = try TickQueries.message(db, jobID: job.id) else {
                throw OutreachError.unexpected("Job \(job.id) has no stored message; it cannot be retried.")
            }
            // A retry goes from the lead's mailbox too, and counts against its cap and gap.
            var sender: SenderChoice?
            if lead.sender != nil {
                switch chooseSender(for: lead) {
                case .postpone(let kind, let until, let reason):
                    guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .retryScheduled, attempt: job.attempt,
                                                    nextAttemptAt: until, error: job.lastError, ambiguous: job.ambiguous, now: instant)
                    else { return .proceed }
                    try decide(db, lead, stepIndex: job.stepIndex, kind, reason: reason, statusAfter: lead.status,
                               nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, .retryScheduled, job.attempt, until, job.lastError))
                    return .proceed
                case .send(let choice):
                    sender = choice
                }
            }
            let pending = PendingDispatch(
                lead: lead, jobID: job.id, key: job.idempotencyKey, stepID: job.stepID, stepIndex: job.stepIndex,
                message: message, attempt: job.attempt + 1, kind: .retryDispatched, firstAttemptAt: job.createdAt,
                received: others, sender: nil)
            let seq = try SafetyQueries.nextSequence(db)
            var claimed = true
            var moved = false
            try db.inSavepoint {
                if let sender, sender.mailbox != nil {
                    guard let claim = try claimMailbox(db, sender, jobKey: job.idempotencyKey + ":\(pending.attempt)") else {
                        claimed = false
                        return .rollback
                    }
                    try recordMailboxSend(db, claim, jobID: job.id, attempt: pending.attempt)
                }
                moved = try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .dispatching, attempt: pending.attempt,
                                                  nextAttemptAt: nil, error: nil, ambiguous: job.ambiguous, now: instant)
                return moved ? .commit : .rollback
            }
            if !claimed {
                let until = instant.addingTimeInterval(60)
                guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .retryScheduled, attempt: job.attempt,
                                                nextAttemptAt: until, error: job.lastError, ambiguous: job.ambiguous, now: instant)
                else { return .proceed }
                try decide(db, lead, stepIndex: job.stepIndex, .skippedMailboxGap,
                           reason: "another process claimed the mailbox's send first; trying again in a minute", statusAfter: lead.status,
                           nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, .retryScheduled, job.attempt, until, job.lastError))
                return .proceed
            }
            guard moved else { return .proceed }
            try recordClaim(db, pending, seq: seq)
            return .claimed(pending)
        }
        return .proceed
    }

    /// A retry that must not be sent any more: the job is cancelled and the lead goes on with
    /// whatever step comes next for it (`others`: the steps it has besides the job's).
    private func cancelRetry(_ db: Database, _ job: Job, lead: Lead, others: Set<String>, reason: String) throws -> GroupResult {
        let instant = now
        guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .cancelled, attempt: job.attempt,
                                        nextAttemptAt: nil, error: "cancelled: \(reason)", now: instant)
        else { return .proceed }
        let next = nextAction(after: job.stepID, received: others, at: instant)
        try TickQueries.updateLead(db, leadID: lead.id, status: next.status, stepIndex: lead.stepIndex,
                                   nextActionAt: stamps.format(next.at), lastContactedAt: stamps.format(lead.lastContactedAt),
                                   blockedReason: nil, now: stamps.format(instant))
        try decide(db, lead, stepIndex: job.stepIndex, .completed, reason: reason, statusAfter: next.status,
                   nextActionAt: stamps.format(next.at), job: (job.id, .cancelled, job.attempt, nil, nil))
        return .proceed
    }

    /// A job whose answer never came, past the provider's idempotency window: repeating it
    /// could now deliver a second copy, so it becomes `unknown` for the operator to decide.
    private func expireAmbiguous(_ db: Database, _ job: Job, lead: Lead, window: Int) throws -> GroupResult {
        let error = "no answer came and the first attempt is older than the \(DurationText.format(window)) idempotency window; "
            + "it may or may not have been sent (see `outreach jobs retry`)"
        guard try TickQueries.updateJob(db, jobID: job.id, from: .retryScheduled, to: .unknown, attempt: job.attempt,
                                        nextAttemptAt: nil, error: error, ambiguous: true, now: now)
        else { return .proceed }
        try decide(db, lead, stepIndex: job.stepIndex, .skippedDuplicate, reason: error, statusAfter: lead.status,
                   nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, .unknown, job.attempt, nil, error))
        logger.warning("job of unknown outcome: \(error)", metadata: ["job_id": .stringConvertible(job.id)])
        return .proceed
    }

    /// Before a late send: is the claimed lead still free of every opt-out? If not, the job
    /// is cancelled unsent and the lead blocked, in this transaction.
    func confirmClaim(_ db: Database, _ pending: PendingDispatch) throws -> Bool {
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
    private func breakerStop(_ db: Database, _ lead: Lead, stepIndex: Int,
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
    private func recordBreaker(_ db: Database, _ outcome: SendOutcome) throws {
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

    // MARK: - Recording

    /// Live claim: the job is `dispatching` (durably, before the send), the lead waits for
    /// the result, and the decision uses a unit of quota and carries the claim's number.
    private func recordClaim(_ db: Database, _ pending: PendingDispatch, seq: Int64) throws {
        let instant = now
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: pending.lead.status, stepIndex: pending.lead.stepIndex,
                                   nextActionAt: nil, lastContactedAt: stamps.format(pending.lead.lastContactedAt), blockedReason: nil,
                                   now: stamps.format(instant), sender: pending.sender)
        try decide(db, pending.lead, stepIndex: pending.stepIndex, pending.kind, reason: nil, statusAfter: pending.lead.status,
                   nextActionAt: nil, job: (pending.jobID, .dispatching, pending.attempt, nil, nil), usesQuota: true, seq: seq)
    }

    /// A sent message: the job is final and the lead moves on to its next step by id (or
    /// completes). `step_index` counts the steps the lead has been sent.
    private func recordSent(_ db: Database, _ pending: PendingDispatch, jobStatus: JobStatus, seq: Int64? = nil) throws {
        let instant = now
        let next = nextAction(after: pending.stepID, received: pending.received, at: instant)
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: next.status, stepIndex: pending.lead.stepIndex + 1,
                                   nextActionAt: stamps.format(next.at), lastContactedAt: stamps.format(instant), blockedReason: nil,
                                   now: stamps.format(instant), sender: pending.sender)
        if request.mode == .proof {
            try decide(db, pending.lead, stepIndex: pending.stepIndex, pending.kind, reason: nil, statusAfter: next.status,
                       nextActionAt: stamps.format(next.at), job: (pending.jobID, jobStatus, pending.attempt, nil, nil),
                       usesQuota: true, seq: seq)
        } else {
            try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: jobStatus,
                                           attempt: pending.attempt, nextAttemptAt: nil, error: nil, statusAfter: next.status,
                                           nextActionAt: stamps.format(next.at))
        }
    }

    /// The lead's status and due time once `stepID` is behind it: the next step by id and
    /// its delay, or `completed`.
    func nextAction(after stepID: String, received: Set<String>, at instant: Date) -> (status: LeadStatus, at: Date?) {
        guard let index = StepPlan.next(steps: campaign.steps, received: received.union([stepID])) else { return (.completed, nil) }
        return (.active, instant.addingTimeInterval(Double(campaign.steps[index].delaySeconds)))
    }

    /// Live mode's second transaction: what the transport said, applied to job, lead and
    /// decision (SPEC §4 steps 7–8, §9.1). The job must still be `dispatching`; if an
    /// operator changed it meanwhile, their change stands and nothing is written.
    func settle(_ db: Database, _ pending: PendingDispatch, outcome: SendOutcome) throws {
        let instant = now
        try recordBreaker(db, outcome)
        func move(to status: JobStatus, nextAttemptAt: Date? = nil, error: String?, ambiguous: Bool = false) throws -> Bool {
            let moved = try TickQueries.updateJob(db, jobID: pending.jobID, from: .dispatching, to: status, attempt: pending.attempt,
                                                  nextAttemptAt: nextAttemptAt, error: error, ambiguous: ambiguous, now: instant)
            if !moved {
                logger.warning("job changed by someone else while it was being sent; its new status stands",
                               metadata: ["job_id": .stringConvertible(pending.jobID), "outcome": .string("\(outcome)")])
            }
            return moved
        }
        switch outcome {
        case .sent:
            guard try move(to: .sent, error: nil) else { return }
            try recordSent(db, pending, jobStatus: .sent)
        case .transient(let error):
            try retryOrGiveUp(db, pending, error: error, ambiguous: false, move: move)
        case .unknown(let error):
            if let window = transport.idempotencyWindowSeconds,
               case .retry(let at) = backoff.next(afterFailedAttempt: pending.attempt, key: pending.key, now: instant),
               at.timeIntervalSince(pending.firstAttemptAt) < Double(window) {
                // The provider drops a repeat of the same Idempotency-Key inside its window.
                try retryOrGiveUp(db, pending, error: error + " (retried with the same Idempotency-Key inside the idempotency window)",
                                  ambiguous: true, move: move)
            } else {
                guard try move(to: .unknown, error: error, ambiguous: true) else { return }
                try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: .unknown,
                                               attempt: pending.attempt, nextAttemptAt: nil, error: error,
                                               statusAfter: pending.lead.status, nextActionAt: nil)
                counters.unknownOutcomes += 1
                logger.warning("send of unknown outcome; the job will not be re-sent automatically (see `outreach jobs retry`)",
                               metadata: ["job_id": .stringConvertible(pending.jobID), "lead_id": .stringConvertible(pending.lead.id)])
            }
        case .permanent(let error, let invalidRecipient):
            guard try move(to: .failed, error: error) else { return }
            if invalidRecipient {
                _ = try ListQueries.addSuppression(db, kind: .email, value: pending.lead.email,
                                                   reason: "invalid recipient: \(error)", until: nil, now: instant)
            }
            try fail(db, pending, jobStatus: .failed, leadStatus: invalidRecipient ? .bounced : .failed, error: error,
                     reason: "send failed: \(error)")
        }
        logger.debug("send settled", metadata: [
            "lead_id": .stringConvertible(pending.lead.id), "job_id": .stringConvertible(pending.jobID),
            "decision": .string(pending.kind.rawValue), "outcome": .string("\(outcome)"),
        ])
    }

    /// A failure that proves the message was not accepted (or, for an idempotent transport,
    /// one that may be repeated): another attempt after the backoff, or `dead`.
    private func retryOrGiveUp(_ db: Database, _ pending: PendingDispatch, error: String, ambiguous: Bool,
                               move: (JobStatus, Date?, String?, Bool) throws -> Bool) throws {
        switch backoff.next(afterFailedAttempt: pending.attempt, key: pending.key, now: now) {
        case .retry(let at):
            guard try move(.retryScheduled, at, error, ambiguous) else { return }
            try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: .retryScheduled,
                                           attempt: pending.attempt, nextAttemptAt: at, error: error,
                                           statusAfter: pending.lead.status, nextActionAt: nil)
        case .dead:
            if ambiguous {
                // Out of attempts after an answer that never came: it may have been sent.
                guard try move(.unknown, nil, error, true) else { return }
                try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: .unknown,
                                               attempt: pending.attempt, nextAttemptAt: nil, error: error,
                                               statusAfter: pending.lead.status, nextActionAt: nil)
                counters.unknownOutcomes += 1
                return
            }
            guard try move(.dead, nil, error, false) else { return }
            try fail(db, pending, jobStatus: .dead, leadStatus: .failed, error: error,
                     reason: "job dead after \(pending.attempt) attempts: \(error)")
        }
    }

    /// The lead of a failed job leaves the sequence with the reason (the job was moved already).
    private func fail(_ db: Database, _ pending: PendingDispatch, jobStatus: JobStatus, leadStatus: LeadStatus, error: String,
                      reason: String) throws {
        let instant = now
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: leadStatus, stepIndex: pending.lead.stepIndex,
                                   nextActionAt: nil, lastContactedAt: stamps.format(pending.lead.lastContactedAt), blockedReason: reason,
                                   now: stamps.format(instant))
        try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: jobStatus,
                                       attempt: pending.attempt, nextAttemptAt: nil, error: error, statusAfter: leadStatus,
                                       nextActionAt: nil)
    }

    /// Records one decision row and counts it.
    func decide(_ db: Database, _ lead: Lead, stepIndex: Int, _ kind: DecisionKind, reason: String?, statusAfter: LeadStatus,
                nextActionAt: String?, job: JobNote? = nil, usesQuota: Bool = false, seq: Int64? = nil) throws {
        try TickQueries.insertDecision(db, DecisionRow(
            runID: state.grant.runID, campaignID: campaignID, leadID: lead.id, stepIndex: stepIndex, kind: kind, reason: reason,
            jobID: job?.id, jobStatus: job?.status, attempt: job?.attempt, nextAttemptAt: job?.nextAttemptAt, error: job?.error,
            quotaDay: usesQuota ? state.quotaDay : nil, statusAfter: statusAfter, nextActionAt: nextActionAt, decidedAt: stamps.format(now),
            seq: seq))
        decisionCounts[kind, default: 0] += 1
        if kind.isDispatch {
            counters.dispatched += 1
            state.quotaUsed += 1
        } else if kind != .completed {
            counters.skipped += 1
        }
        logger.debug("decision", metadata: [
            "lead_id": .stringConvertible(lead.id), "decision": .string(kind.rawValue),
            "job_id": job.map { .stringConvertible($0.id) } ?? .string(""),
        ])
    }
}
