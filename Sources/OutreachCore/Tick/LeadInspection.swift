import Foundation

/// Why a lead is or is not eligible right now, in words (`leads show`).
///
/// It runs the tick's own rules (`Eligibility`, on facts read by the tick's own queries, see
/// `InspectionQueries`) without writing anything, so the explanation cannot drift from what
/// the next tick will do.
public struct LeadInspection: Sendable {
    public let lead: Lead
    public let jobs: [Job]
    public let decisions: [DecisionSummary]
    /// One sentence: what the next tick would do with this lead and why.
    public let eligibility: String
    /// Where the lead stands in the campaign's current steps, by step id (SPEC §9.5).
    public let progress: String

    /// A past decision about the lead.
    public struct DecisionSummary: Sendable {
        public let runID: String
        public let decidedAt: Date
        public let kind: String
        public let reason: String?
        public let jobID: Int64?
    }

    /// The inspection as typed fields (`leads show --format json|csv`); `step_index` counts
    /// from 0 like every machine field, `step` from 1 like people do (SPEC §14).
    public var fields: [(String, JSONText.Value)] {
        [
            ("lead_id", .int(lead.id)), ("email", .string(lead.email)), ("first_name", .optional(lead.firstName)),
            ("last_name", .optional(lead.lastName)), ("company", .optional(lead.company)), ("status", .string(lead.status.rawValue)),
            ("blocked_reason", .optional(lead.blockedReason)), ("steps_sent", .int(Int64(lead.stepIndex))),
            ("progress", .string(progress)), ("next_action_at", .timestamp(lead.nextActionAt)),
            ("last_contacted_at", .timestamp(lead.lastContactedAt)), ("timezone", .optional(lead.timezone)),
            ("dnc", .bool(lead.dnc)), ("dnc_at", .timestamp(lead.dncAt)), ("dnc_reason", .optional(lead.dncReason)),
            ("sender", .optional(lead.sender)),
            ("eligibility", .string(eligibility)),
            ("jobs", .array(jobs.map { job in
                .object([
                    ("job_id", .int(job.id)), ("step", .int(Int64(job.stepIndex + 1))), ("step_index", .int(Int64(job.stepIndex))),
                    ("step_id", .string(job.stepID)), ("status", .string(job.status.rawValue)), ("attempt", .int(Int64(job.attempt))),
                    ("next_attempt_at", .timestamp(job.nextAttemptAt)), ("error", .optional(job.lastError)),
                ])
            })),
            ("decisions", .array(decisions.map { decision in
                .object([
                    ("run_id", .string(decision.runID)), ("decided_at", .timestamp(decision.decidedAt)),
                    ("decision", .string(decision.kind)), ("reason", .optional(decision.reason)),
                    ("job_id", decision.jobID.map(JSONText.Value.int) ?? .null),
                ])
            })),
        ]
    }

    /// The inspection of the lead in `evidence` (read by `InspectionQueries` in one
    /// transaction). With `secrets`, it also renders the next step, to tell a missing
    /// template variable.
    init(campaign stored: StoredCampaign, evidence: LeadEvidence, now: Date, secrets: SecretEnvironment?) {
        lead = evidence.lead
        jobs = evidence.jobs
        decisions = evidence.decisions
        eligibility = Self.explain(stored: stored, evidence: evidence, now: now, secrets: secrets)
        progress = "The lead " + StepPlan.explain(steps: stored.campaign.steps, received: evidence.jobs.map(\.stepID)) + "."
    }

    /// When the lead is judged: when it is next due (now, if it already is); nil when it is
    /// not waiting for a step.
    static func judgedAt(_ lead: Lead, now: Date) -> Date? {
        guard lead.status == .new || lead.status == .active, let due = lead.nextActionAt else { return nil }
        return max(now, due)
    }

    private static func explain(stored: StoredCampaign, evidence: LeadEvidence, now: Date, secrets: SecretEnvironment?) -> String {
        let lead = evidence.lead
        let jobs = evidence.jobs
        let killSwitch = evidence.killSwitch
        let campaign = stored.campaign
        switch lead.status {
        case .completed: return "Not eligible: the sequence is completed."
        case .replied: return "Not eligible: the lead replied, which stopped the sequence."
        case .bounced: return "Not eligible: the address bounced (\(lead.blockedReason ?? "hard bounce"))."
        case .blocked: return "Not eligible: blocked (\(lead.blockedReason ?? "compliance"))."
        case .failed: return "Not eligible: \(lead.blockedReason ?? "its job failed"); `outreach jobs retry` can re-send it."
        case .new, .active: break
        }
        if let pending = jobs.first(where: { [.dispatching, .retryScheduled, .unknown].contains($0.status) }) {
            switch pending.status {
            case .retryScheduled:
                return "Waiting: job \(pending.id) retries at \(Timestamp.format(pending.nextAttemptAt) ?? "?") (attempt \(pending.attempt) failed: \(pending.lastError ?? "?"))."
            case .unknown:
                return "Waiting: job \(pending.id) has an unknown outcome; check the recipient's mailbox, then `outreach jobs retry \(pending.id)` or `outreach jobs cancel \(pending.id)`."
            default:
                return "Waiting: job \(pending.id) is being sent."
            }
        }
        guard let due = lead.nextActionAt, let facts = evidence.facts else { return "Not due: the lead has no next action time." }
        var prefix = ""
        if stored.status != .active { prefix = "The campaign is \(stored.status.rawValue); otherwise: " }
        if killSwitch.enabled { prefix = "The kill switch is on; otherwise: " }
        // Judged when it is next due (now, if it already is): `judgedAt`.
        let at = facts.at
        let notYet = now < due ? "Not due until \(Timestamp.format(due)); then " : ""
        let windows = WindowStateCache(window: SendingWindow(campaign.window))
        let zone = campaign.window.recipientTimezone ? (lead.timezone ?? campaign.timezone) : campaign.timezone
        let used = facts.quotaUsed
        let next = StepPlan.next(steps: campaign.steps, received: Set(jobs.map(\.stepID))) ?? campaign.steps.count
        let verdict = Eligibility.evaluate(
            dnc: lead.dnc, dncReason: lead.dncReason, stepIndex: next, facts: facts.compliance,
            context: .init(now: at, window: windows.state(at: at, zone: zone), windowZone: zone,
                           cooldownSeconds: campaign.limits.cooldownSeconds, quotaRemaining: campaign.limits.dailyQuota - used,
                           dailyQuota: campaign.limits.dailyQuota, stepCount: campaign.steps.count))
        let sentence: String
        switch verdict {
        case .block(let kind, let reason):
            sentence = (notYet.isEmpty ? "The next tick" : notYet + "the tick") + " will block it (\(kind.rawValue)): \(reason)."
        case .postpone(let kind, let until, let reason):
            sentence = (notYet.isEmpty ? "Due, but " : notYet) + "\(kind.rawValue): \(reason); it moves to \(Timestamp.format(until))."
        case .quotaExhausted(let reason):
            sentence = (notYet.isEmpty ? "Due, but " : notYet) + "the \(reason); it goes out on a later day."
        case .complete:
            sentence = (notYet.isEmpty ? "The next tick" : notYet + "the tick") + " completes it: it has no step left."
        case .dispatch(let index):
            let step = campaign.steps[index]
            var rendering = ""
            if let secrets, let installationID = facts.installationID,
               let builder = try? MessageBuilder(campaign: campaign, secrets: secrets, installationID: installationID) {
                let key = MessageBuilder.idempotencyKey(campaignID: stored.id, leadID: lead.id, stepID: step.id, stepIndex: index)
                if case .failure(let missing) = builder.build(lead: lead, stepIndex: index, idempotencyKey: key, date: at) {
                    rendering = " — but its template needs {{\(missing.name)}}, which this lead lacks, so it will be skipped (skipped_template_error)"
                }
            }
            sentence = (notYet.isEmpty ? "Eligible now: the next tick sends" : notYet + "it sends")
                + " step \(index + 1) (\(step.id))\(rendering)"
                + senderClause(campaign: campaign, lead: lead, mailboxes: facts.mailboxes, at: at) + "."
        }
        return prefix + sentence
    }

    /// From which mailbox, and when it can send (SPEC §12): the lead's own, or at its first
    /// message the one the rotation would pick.
    private static func senderClause(campaign: Campaign, lead: Lead, mailboxes: [String: StoredMailbox], at: Date) -> String {
        let addresses = campaign.sender.from.compactMap { MailboxText.parse($0)?.address }
        func describe(_ address: String) -> String {
            guard let mailbox = mailboxes[address] else { return " from \(address)" }
            switch mailbox.availability(at: at) {
            case .ready(let left): return " from \(address) (\(left) of its \(mailbox.allowance(at: at)) sends left today)"
            case .gap(let until): return " from \(address) once its gap ends at \(Timestamp.format(until)) (skipped_mailbox_gap until then)"
            case .cap(let until, let allowance):
                return " from \(address), which sent its \(allowance) allowed today: not before \(Timestamp.format(until)) (skipped_mailbox_cap)"
            case .paused(let reason):
                return " from \(address), which is paused\(reason.map { " (\($0))" } ?? ""): not until `outreach mailbox resume \(address)`"
            }
        }
        if let sender = lead.sender { return describe(sender) + ", the address of its first message" }
        if let best = SenderRotation.pick(addresses, mailboxes: mailboxes, at: at) {
            return describe(best) + (addresses.count > 1 ? ", the sender with the most capacity left" : "")
        }
        return " once one of its senders can send (" + addresses.map(describe).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ") + ")"
    }
}
