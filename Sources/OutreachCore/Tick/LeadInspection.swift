import Foundation

/// Why a lead is or is not eligible right now, in words (`leads show`).
///
/// It runs the tick's own rules (`Eligibility`, with the same facts queries) without writing
/// anything, so the explanation cannot drift from what the next tick will do.
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

    /// Inspects the lead with this address in the campaign.
    /// With `secrets`, it also renders the next step, to tell a missing template variable.
    public static func inspect(_ db: any SQLConnection, campaign stored: StoredCampaign, email: String, now: Date,
                               killSwitch: KillSwitch, secrets: SecretEnvironment? = nil) throws -> LeadInspection {
        let normalized = EmailAddress.normalize(email)
        guard let lead = try LeadQueries.find(db, campaignID: stored.id, email: normalized) else {
            throw OutreachError.badInput(
                "Campaign \(stored.slug) has no lead \(EmailAddress.printable(normalized)); `outreach leads list \(stored.slug)` shows its leads.")
        }
        let jobs = try JobQueries.forLead(db, leadID: lead.id)
        let decisions = try SQLRecord.fetchAll(db, sql: """
            SELECT run_id, decided_at, decision, reason, job_id FROM decisions WHERE lead_id = ? ORDER BY id
            """, arguments: [lead.id]).map {
            DecisionSummary(runID: $0[0], decidedAt: Timestamp.parse($0[1]) ?? .distantPast, kind: $0[2], reason: $0[3], jobID: $0[4])
        }
        return LeadInspection(lead: lead, jobs: jobs, decisions: decisions,
                              eligibility: try explain(db, stored: stored, lead: lead, jobs: jobs, now: now, killSwitch: killSwitch,
                                                       secrets: secrets),
                              progress: "The lead " + StepPlan.explain(steps: stored.campaign.steps, received: jobs.map(\.stepID)) + ".")
    }

    private static func explain(_ db: any SQLConnection, stored: StoredCampaign, lead: Lead, jobs: [Job], now: Date,
                                killSwitch: KillSwitch, secrets: SecretEnvironment?) throws -> String {
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
        guard let due = lead.nextActionAt else { return "Not due: the lead has no next action time." }
        var prefix = ""
        if stored.status != .active { prefix = "The campaign is \(stored.status.rawValue); otherwise: " }
        if killSwitch.enabled { prefix = "The kill switch is on; otherwise: " }
        // Judge the lead when it is next due (now, if it already is).
        let at = max(now, due)
        let notYet = now < due ? "Not due until \(Timestamp.format(due)); then " : ""
        let windows = WindowStateCache(window: SendingWindow(campaign.window))
        let zone = campaign.window.recipientTimezone ? (lead.timezone ?? campaign.timezone) : campaign.timezone
        let facts = try TickQueries.facts(db, email: lead.email, domain: lead.domain, campaignID: stored.id, now: at,
                                          needLastContact: campaign.limits.cooldownSeconds > 0)
        let used = try TickQueries.quotaUsed(db, campaignID: stored.id, day: QuotaDay.of(at, in: campaign.timeZone))
        let next = StepPlan.next(steps: campaign.steps, received: Set(jobs.map(\.stepID))) ?? campaign.steps.count
        let verdict = Eligibility.evaluate(
            dnc: lead.dnc, dncReason: lead.dncReason, stepIndex: next, facts: facts,
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
            if let secrets, let installationID = try? SafetyQueries.installationID(db),
               let builder = try? MessageBuilder(campaign: campaign, secrets: secrets, installationID: installationID) {
                let key = MessageBuilder.idempotencyKey(campaignID: stored.id, leadID: lead.id, stepID: step.id, stepIndex: index)
                if case .failure(let missing) = builder.build(lead: lead, stepIndex: index, idempotencyKey: key, date: at) {
                    rendering = " — but its template needs {{\(missing.name)}}, which this lead lacks, so it will be skipped (skipped_template_error)"
                }
            }
            sentence = (notYet.isEmpty ? "Eligible now: the next tick sends" : notYet + "it sends")
                + " step \(index + 1) (\(step.id))\(rendering)" + (try senderClause(db, campaign: campaign, lead: lead, at: at)) + "."
        }
        return prefix + sentence
    }

    /// From which mailbox, and when it can send (SPEC §12): the lead's own, or at its first
    /// message the one the rotation would pick.
    private static func senderClause(_ db: any SQLConnection, campaign: Campaign, lead: Lead, at: Date) throws -> String {
        let addresses = campaign.sender.from.compactMap { MailboxText.parse($0)?.address }
        let mailboxes = try MailboxQueries.find(db, addresses: lead.sender.map { [$0] } ?? addresses)
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
