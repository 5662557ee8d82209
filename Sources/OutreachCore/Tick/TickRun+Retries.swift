import Foundation
import Logging

/// SPEC §4 step 4 and §9.1: due retries, judged like leads, re-sent with their stored message.
extension TickRun {
    // MARK: - Retries

    /// A due retry: the same rules as a lead (a block cancels the job), then another
    /// attempt with the stored message and the same idempotency key. A job whose last
    /// attempt may have reached the provider is retried only inside the transport's
    /// idempotency window; after it, it becomes `unknown` (SPEC §9.1).
    func considerRetry(_ db: any SQLConnection, _ job: Job) throws -> GroupResult {
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
            let copy = mailboxes
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
                if !moved { mailboxes = copy }
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
    private func cancelRetry(_ db: any SQLConnection, _ job: Job, lead: Lead, others: Set<String>, reason: String) throws -> GroupResult {
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
    private func expireAmbiguous(_ db: any SQLConnection, _ job: Job, lead: Lead, window: Int) throws -> GroupResult {
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
}
