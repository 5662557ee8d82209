import Foundation
import Logging

/// The writes of a dispatch: the claim, the sent message, the settled outcome, the decision row.
extension TickRun {
    // MARK: - Recording

    /// Live claim: the job is `dispatching` (durably, before the send), the lead waits for
    /// the result, and the decision uses a unit of quota and carries the claim's number.
    func recordClaim(_ db: any SQLConnection, _ pending: PendingDispatch, seq: Int64) throws {
        let instant = now
        try TickQueries.updateLead(db, leadID: pending.lead.id, status: pending.lead.status, stepIndex: pending.lead.stepIndex,
                                   nextActionAt: nil, lastContactedAt: stamps.format(pending.lead.lastContactedAt), blockedReason: nil,
                                   now: stamps.format(instant), sender: pending.sender)
        try decide(db, pending.lead, stepIndex: pending.stepIndex, pending.kind, reason: nil, statusAfter: pending.lead.status,
                   nextActionAt: nil, job: (pending.jobID, .dispatching, pending.attempt, nil, nil), usesQuota: true, seq: seq)
    }

    /// A sent message: the job is final and the lead moves on to its next step by id (or
    /// completes). `step_index` counts the steps the lead has been sent.
    func recordSent(_ db: any SQLConnection, _ pending: PendingDispatch, jobStatus: JobStatus, seq: Int64? = nil) throws {
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
    func settle(_ db: any SQLConnection, _ pending: PendingDispatch, outcome: SendOutcome) throws {
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
    private func retryOrGiveUp(_ db: any SQLConnection, _ pending: PendingDispatch, error: String, ambiguous: Bool,
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
    private func fail(_ db: any SQLConnection, _ pending: PendingDispatch, jobStatus: JobStatus, leadStatus: LeadStatus, error: String,
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
    func decide(_ db: any SQLConnection, _ lead: Lead, stepIndex: Int, _ kind: DecisionKind, reason: String?, statusAfter: LeadStatus,
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
