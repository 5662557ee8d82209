import Foundation
import GRDB
import Logging

/// A dispatch decided in this transaction, not yet recorded as sent.
struct PendingDispatch {
    let lead: Lead
    let stepIndex: Int
    let message: OutgoingMessage
    /// Set for retries (the job exists) and once a new job is inserted.
    var jobID: Int64?
    /// The attempt this dispatch is.
    var attempt: Int
    let kind: DecisionKind
}

extension TickRun {
    // MARK: - Leads

    /// SPEC §4 step 5 for one due lead: decide, and apply the decision in this transaction.
    func considerLead(_ db: Database, _ lead: Lead) throws -> GroupResult {
        counters.considered += 1
        switch try verdict(db, lead, stepIndex: lead.stepIndex) {
        case .block(let kind, let reason):
            try TickQueries.updateLead(db, leadID: lead.id, status: .blocked, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: reason, now: stamps.format(now))
            try decide(db, lead, stepIndex: lead.stepIndex, kind, reason: reason, statusAfter: .blocked, nextActionAt: nil)
        case .postpone(let kind, let until, let reason):
            try TickQueries.postponeLead(db, leadID: lead.id, until: stamps.format(until), now: stamps.format(now))
            try decide(db, lead, stepIndex: lead.stepIndex, kind, reason: reason, statusAfter: lead.status, nextActionAt: stamps.format(until))
        case .quotaExhausted(let reason):
            try decide(db, lead, stepIndex: lead.stepIndex, .skippedQuota, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt))
            return .stop(.dailyQuota)
        case .complete:
            try TickQueries.updateLead(db, leadID: lead.id, status: .completed, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: nil, now: stamps.format(now))
            try decide(db, lead, stepIndex: lead.stepIndex, .completed, reason: "no step \(lead.stepIndex + 1) in the campaign",
                       statusAfter: .completed, nextActionAt: nil)
        case .dispatch(let stepIndex):
            let step = campaign.steps[stepIndex]
            let key = MessageBuilder.idempotencyKey(campaignID: campaignID, leadID: lead.id, stepID: step.id, stepIndex: stepIndex)
            switch try builder.get().build(lead: lead, stepIndex: stepIndex, idempotencyKey: key, date: now) {
            case .failure(let missing):
                try decide(db, lead, stepIndex: stepIndex, .skippedTemplateError,
                           reason: "step \(step.id) needs {{\(missing.name)}}, which this lead does not have",
                           statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt))
            case .success(let message):
                if let stop = try breakerStop(db, lead, stepIndex: stepIndex) { return stop }
                var pending = PendingDispatch(lead: lead, stepIndex: stepIndex, message: message, jobID: nil, attempt: 1,
                                              kind: .dispatched)
                let initialStatus: JobStatus = request.mode == .proof ? .sentProof : .dispatching
                guard let jobID = try TickQueries.insertJob(
                    db, campaignID: campaignID, leadID: lead.id, runID: state.grant.runID, key: key, stepID: step.id,
                    stepIndex: stepIndex, mode: request.mode, transport: transport.breakerKey, status: initialStatus, now: stamps.format(now))
                else {
                    try decide(db, lead, stepIndex: stepIndex, .skippedDuplicate,
                               reason: "a job with key \(key) already exists; it is never dispatched twice",
                               statusAfter: lead.status, nextActionAt: stamps.format(lead.nextActionAt))
                    return .proceed
                }
                pending.jobID = jobID
                try TickQueries.insertMessage(db, jobID: jobID, message)
                if request.mode == .proof {
                    try recordSent(db, pending, jobStatus: .sentProof)
                    return .proceed
                }
                try recordClaim(db, pending)
                return .claimed(pending)
            }
        }
        return .proceed
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

    /// A due retry: the same rules as a lead (a block cancels the job), then a second
    /// attempt with the stored message and the same idempotency key.
    func considerRetry(_ db: Database, _ job: Job) throws -> GroupResult {
        guard let lead = try LeadQueries.find(db, id: job.leadID) else { return .proceed }
        counters.considered += 1
        let instant = now
        switch try verdict(db, lead, stepIndex: job.stepIndex) {
        case .block(let kind, let reason):
            try TickQueries.updateJob(db, jobID: job.id, status: .cancelled, attempt: job.attempt, nextAttemptAt: nil,
                                      error: "cancelled before retry: \(reason)", now: instant)
            try TickQueries.updateLead(db, leadID: lead.id, status: .blocked, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: reason, now: stamps.format(instant))
            try decide(db, lead, stepIndex: job.stepIndex, kind, reason: reason, statusAfter: .blocked, nextActionAt: nil,
                       job: (job.id, .cancelled, job.attempt, nil, reason))
        case .postpone(let kind, let until, let reason):
            try TickQueries.updateJob(db, jobID: job.id, status: .retryScheduled, attempt: job.attempt, nextAttemptAt: until,
                                      error: job.lastError, now: instant)
            try decide(db, lead, stepIndex: job.stepIndex, kind, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, .retryScheduled, job.attempt, until, job.lastError))
        case .quotaExhausted(let reason):
            try decide(db, lead, stepIndex: job.stepIndex, .skippedQuota, reason: reason, statusAfter: lead.status,
                       nextActionAt: stamps.format(lead.nextActionAt), job: (job.id, job.status, job.attempt, job.nextAttemptAt, job.lastError))
            return .stop(.dailyQuota)
        case .complete:
            try TickQueries.updateJob(db, jobID: job.id, status: .cancelled, attempt: job.attempt, nextAttemptAt: nil,
                                      error: "cancelled: the campaign no longer has step \(job.stepIndex + 1)", now: instant)
            try TickQueries.updateLead(db, leadID: lead.id, status: .completed, stepIndex: lead.stepIndex, nextActionAt: nil,
                                       lastContactedAt: stamps.format(lead.lastContactedAt), blockedReason: nil, now: stamps.format(instant))
            try decide(db, lead, stepIndex: job.stepIndex, .completed, reason: "no step \(job.stepIndex + 1) in the campaign",
                       statusAfter: .completed, nextActionAt: nil, job: (job.id, .cancelled, job.attempt, nil, nil))
        case .dispatch:
            if let stop = try breakerStop(db, lead, stepIndex: job.stepIndex,
                                          job: (job.id, job.status, job.attempt, job.nextAttemptAt, job.lastError)) {
                return stop
            }
            guard let message = try TickQueries.message(db, jobID: job.id) else {
                throw OutreachError.unexpected("Job \(job.id) has no stored message; it cannot be retried.")
            }
            let pending = PendingDispatch(lead: lead, stepIndex: job.stepIndex, message: message, jobID: job.id,
                                          attempt: job.attempt + 1, kind: .retryDispatched)
            try recordClaim(db, pending)
            return .claimed(pending)
        }
        return .proceed
    }

    // MARK: - Circuit breaker

    /// In live mode, asks the transport's breaker; when it is open the lead is left untouched
    /// with `skipped_circuit_open` and the run stops. A trial after the cool-down is marked
    /// `half_open` in this transaction, before the send.
    private func breakerStop(_ db: Database, _ lead: Lead, stepIndex: Int,
                             job: (id: Int64, status: JobStatus, attempt: Int, nextAttemptAt: Date?, error: String?)? = nil)
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
    /// the result, and the decision uses a unit of quota.
    private func recordClaim(_ db: Database, _ pending: PendingDispatch) throws {
        let instant = now
        if pending.kind == .retryDispatched {
            try TickQueries.updateJob(db, jobID: pending.jobID!, status: .dispatching, attempt: pending.attempt,
                                      nextAttemptAt: nil, error: nil, now: instant)
        }
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: pending.lead.status, stepIndex: pending.lead.stepIndex,
                                   nextActionAt: nil, lastContactedAt: stamps.format(pending.lead.lastContactedAt), blockedReason: nil,
                                   now: stamps.format(instant))
        try decide(db, pending.lead, stepIndex: pending.stepIndex, pending.kind, reason: nil, statusAfter: pending.lead.status,
                   nextActionAt: nil, job: (pending.jobID!, .dispatching, pending.attempt, nil, nil), usesQuota: true)
    }

    /// A sent message: the job is final and the lead moves to its next step (or completes).
    private func recordSent(_ db: Database, _ pending: PendingDispatch, jobStatus: JobStatus) throws {
        let instant = now
        let (status, next) = advance(pending.stepIndex, at: instant)
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: status, stepIndex: pending.stepIndex + 1,
                                   nextActionAt: stamps.format(next), lastContactedAt: stamps.format(instant), blockedReason: nil, now: stamps.format(instant))
        if request.mode == .proof {
            try decide(db, pending.lead, stepIndex: pending.stepIndex, pending.kind, reason: nil, statusAfter: status,
                       nextActionAt: stamps.format(next), job: (pending.jobID!, jobStatus, pending.attempt, nil, nil), usesQuota: true)
        } else {
            try TickQueries.updateJob(db, jobID: pending.jobID!, status: jobStatus, attempt: pending.attempt, nextAttemptAt: nil,
                                      error: nil, now: instant)
            try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: jobStatus,
                                           attempt: pending.attempt, nextAttemptAt: nil, error: nil, statusAfter: status,
                                           nextActionAt: stamps.format(next))
        }
    }

    /// The lead's status and due time after step `stepIndex` went out at `instant`.
    private func advance(_ stepIndex: Int, at instant: Date) -> (LeadStatus, Date?) {
        let nextIndex = stepIndex + 1
        guard nextIndex < campaign.steps.count else { return (.completed, nil) }
        return (.active, instant.addingTimeInterval(Double(campaign.steps[nextIndex].delaySeconds)))
    }

    /// Live mode's second transaction: what the transport said, applied to job, lead and
    /// decision (SPEC §4 steps 7–8).
    func settle(_ db: Database, _ pending: PendingDispatch, outcome: SendOutcome) throws {
        let instant = now
        let jobID = pending.jobID!
        try recordBreaker(db, outcome)
        switch outcome {
        case .sent:
            try recordSent(db, pending, jobStatus: .sent)
        case .transient(let error):
            switch backoff.next(afterFailedAttempt: pending.attempt, key: pending.message.idempotencyKey, now: instant) {
            case .retry(let at):
                try TickQueries.updateJob(db, jobID: jobID, status: .retryScheduled, attempt: pending.attempt,
                                          nextAttemptAt: at, error: error, now: instant)
                try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: .retryScheduled,
                                               attempt: pending.attempt, nextAttemptAt: at, error: error,
                                               statusAfter: pending.lead.status, nextActionAt: nil)
            case .dead:
                try fail(db, pending, jobStatus: .dead, leadStatus: .failed, error: error,
                         reason: "job dead after \(pending.attempt) attempts: \(error)")
            }
        case .permanent(let error, let invalidRecipient):
            if invalidRecipient {
                _ = try ListQueries.addSuppression(db, kind: .email, value: pending.lead.email,
                                                   reason: "invalid recipient: \(error)", until: nil, now: instant)
            }
            try fail(db, pending, jobStatus: .failed, leadStatus: invalidRecipient ? .bounced : .failed, error: error,
                     reason: "send failed: \(error)")
        }
        logger.debug("send settled", metadata: [
            "lead_id": .stringConvertible(pending.lead.id), "job_id": .stringConvertible(jobID),
            "decision": .string(pending.kind.rawValue), "outcome": .string("\(outcome)"),
        ])
    }

    private func fail(_ db: Database, _ pending: PendingDispatch, jobStatus: JobStatus, leadStatus: LeadStatus, error: String,
                      reason: String) throws {
        let instant = now
        try TickQueries.updateJob(db, jobID: pending.jobID!, status: jobStatus, attempt: pending.attempt, nextAttemptAt: nil,
                                  error: error, now: instant)
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: leadStatus, stepIndex: pending.lead.stepIndex,
                                   nextActionAt: nil, lastContactedAt: stamps.format(pending.lead.lastContactedAt), blockedReason: reason,
                                   now: stamps.format(instant))
        try TickQueries.settleDecision(db, runID: state.grant.runID, leadID: pending.lead.id, jobStatus: jobStatus,
                                       attempt: pending.attempt, nextAttemptAt: nil, error: error, statusAfter: leadStatus,
                                       nextActionAt: nil)
    }

    /// Records one decision row and counts it.
    func decide(_ db: Database, _ lead: Lead, stepIndex: Int, _ kind: DecisionKind, reason: String?, statusAfter: LeadStatus,
                nextActionAt: String?, job: (id: Int64, status: JobStatus, attempt: Int, nextAttemptAt: Date?, error: String?)? = nil,
                usesQuota: Bool = false) throws {
        try TickQueries.insertDecision(db, DecisionRow(
            runID: state.grant.runID, campaignID: campaignID, leadID: lead.id, stepIndex: stepIndex, kind: kind, reason: reason,
            jobID: job?.id, jobStatus: job?.status, attempt: job?.attempt, nextAttemptAt: job?.nextAttemptAt, error: job?.error,
            quotaDay: usesQuota ? state.quotaDay : nil, statusAfter: statusAfter, nextActionAt: nextActionAt, decidedAt: stamps.format(now)))
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
