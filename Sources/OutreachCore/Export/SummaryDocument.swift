import Foundation

/// `summary.md`: a run explained for a reviewer who does not read code. It answers who was
/// contacted, who was not and why, and how we know the rules held (the proof checks).
struct SummaryDocument {
    let campaign: StoredCampaign
    let run: Run
    let checks: [(check: ProofChecks.Check, violations: Int)]
    let messageCount: Int
    let decisionCounts: [String: Int]
    let quotaUsed: Int
    let retries: Int
    let unknown: Int
    let outcomes: [String: Int]
    let mailboxes: [RunMailboxSends]
    /// Why the guardrails stopped the run, with the rates (from its `stopped_auto_pause` decision).
    let autoPause: String?

    init(_ db: any SQLConnection, campaign: StoredCampaign, run: Run, checks: [(check: ProofChecks.Check, violations: Int)],
         messageCount: Int) throws {
        self.campaign = campaign
        self.run = run
        self.checks = checks
        self.messageCount = messageCount
        decisionCounts = try ArtifactQueries.decisionCounts(db, runID: run.id)
        quotaUsed = try ArtifactQueries.quotaUsed(db, run: run)
        (retries, unknown) = try ArtifactQueries.retryAndUnknownCounts(db, runID: run.id)
        outcomes = try ArtifactQueries.dispatchOutcomes(db, runID: run.id)
        mailboxes = try ArtifactQueries.mailboxSends(db, runID: run.id)
        autoPause = try String.fetchOne(db, sql: "SELECT reason FROM decisions WHERE run_id = ? AND decision = 'stopped_auto_pause'",
                                        arguments: [run.id])
    }

    /// What each decision means, for the decisions table.
    static let meanings: [DecisionKind: String] = [
        .dispatched: "a job was created for the lead's next step and handed to the transport (proof mode: recorded, not sent); its outcome is in attempts.csv",
        .retryDispatched: "a job that had failed transiently was tried again with its stored message and key",
        .skippedDNC: "the lead is marked do-not-contact; blocked for good",
        .skippedUnsubscribed: "the address unsubscribed (globally or from this campaign); blocked for good",
        .skippedSuppressedEmail: "the address is suppressed; blocked",
        .skippedSuppressedDomain: "the address's domain is suppressed; blocked",
        .skippedWindow: "outside the sending window; moved to the window's next opening",
        .skippedCooldown: "contacted too recently (by any campaign); moved to the end of the cooldown",
        .skippedQuota: "the daily quota was used up; left due for a later day",
        .skippedDuplicate: "a job with the same idempotency key already exists; never sent twice",
        .skippedTemplateError: "a template variable is missing for this lead; left untouched",
        .skippedCircuitOpen: "the transport's circuit breaker is open; left untouched",
        .skippedMailboxCap: "the lead's mailbox sent its allowance for the day (cap or warm-up); moved to its expected slot",
        .skippedMailboxGap: "the lead's mailbox sent too recently (minimum gap plus jitter); moved to its expected slot",
        .skippedMailboxPaused: "the lead's mailbox is paused; waits for `outreach mailbox resume`",
        .stoppedAutoPause: "the campaign's bounce or complaint rate reached its guardrail; paused until `outreach campaign resume`",
        .completed: "no step left; the sequence is complete",
        .stoppedKillSwitch: "the kill switch was turned on during the run; left untouched",
        .stoppedPaused: "the campaign was paused during the run; left untouched",
        .stoppedLeaseLost: "another process took the lease; left untouched",
    ]

    /// What became of this run's live dispatches, in words: only accepted messages are "sent".
    func liveOutcomes() -> String {
        let words: [(String, String)] = [
            (JobStatus.sent.rawValue, "sent"), (JobStatus.retryScheduled.rawValue, "left waiting for a retry"),
            (JobStatus.failed.rawValue, "failed"), (JobStatus.dead.rawValue, "out of attempts"),
            (JobStatus.unknown.rawValue, "of unknown outcome"), (JobStatus.cancelled.rawValue, "cancelled"),
        ]
        var parts = words.compactMap { status, word in outcomes[status].flatMap { $0 > 0 ? "\($0) \(word)" : nil } }
        let named = Set(words.map(\.0))
        let other = outcomes.filter { !named.contains($0.key) }.values.reduce(0, +)
        if other > 0 { parts.append("\(other) other") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    func markdown() throws -> String {
        let cell = MarkdownText.cell
        var text = "# Proof of run \(cell(run.id))\n\n"
        let dispatched = decisionCounts.filter { DecisionKind(rawValue: $0.key)?.isDispatch == true }.values.reduce(0, +)
        let blocked = decisionCounts.filter { DecisionKind(rawValue: $0.key)?.isBlock == true }.values.reduce(0, +)
        let considered = decisionCounts.values.reduce(0, +)
        let passed = checks.allSatisfy { $0.violations == 0 }
        let sentence = run.mode == .proof
            ? "\(dispatched) of \(considered) leads considered would have been contacted (proof mode: nothing was sent; the messages are in `messages/`)"
            : "\(dispatched) of \(considered) leads considered were handed to the transport (\(liveOutcomes()))"
        text += "\(sentence); \(blocked) \(blocked == 1 ? "was" : "were") blocked by do-not-contact, unsubscribe or suppression. "
        text += passed ? "All \(checks.count) proof checks passed.\n\n" : "**\(checks.filter { $0.violations > 0 }.count) proof check(s) FAILED** — see below.\n\n"
        if run.dryRun { text += "This was a **dry run**: every database change was rolled back after these files were written.\n\n" }

        text += "## Run\n\n"
        let duration = run.durationMs.map { String(format: "%.3f s", Double($0) / 1000) } ?? "-"
        let approval = campaign.isApproved
            ? "approved by \(campaign.latestApproval!.approvedBy) at \(Timestamp.format(campaign.latestApproval!.approvedAt))"
            : "not approved"
        text += MarkdownText.table(["fact", "value"], [
            ["run id", run.id],
            ["campaign", "\(campaign.slug) — \(campaign.campaign.name)"],
            ["mode", run.mode.rawValue + (run.dryRun ? " (dry run)" : "")],
            ["status", run.status.rawValue],
            ["stop reason", run.stopReason ?? "-"],
            ["lease owner", run.owner],
            ["fencing token", String(run.fencingToken)],
            ["started", Timestamp.format(run.startedAt)],
            ["finished", Timestamp.format(run.finishedAt) ?? "-"],
            ["duration", duration],
            ["content hash", "\(run.contentHash) (\(run.contentHash == campaign.contentHash ? approval : "since changed"))"],
            ["tool version", run.toolVersion],
        ])

        text += "\n## Decisions\n\nEvery lead the run considered has exactly one decision; `leads.csv` lists them with the reason.\n\n"
        let rows = DecisionKind.allCases.compactMap { kind -> [String]? in
            guard let count = decisionCounts[kind.rawValue], count > 0 else { return nil }
            return [kind.rawValue, String(count), Self.meanings[kind] ?? ""]
        }
        text += rows.isEmpty ? "No lead was considered in this run.\n" : MarkdownText.table(["decision", "leads", "meaning"], rows, prose: [2])

        text += "\n## Blocked\n\n"
        let blockedRows = DecisionKind.allCases.filter(\.isBlock).map { [$0.rawValue, String(decisionCounts[$0.rawValue] ?? 0)] }
        text += MarkdownText.table(["reason", "leads"], blockedRows)

        text += "\n## Quota\n\n"
        let remaining = max(0, run.dailyQuota - quotaUsed)
        text += MarkdownText.table(["limit", "used", "remaining"], [
            ["daily quota on \(run.quotaDay) (\(campaign.campaign.timezone))", String(quotaUsed), String(remaining)],
            ["per-tick limit of this run", String(dispatched), String(max(0, run.perTickLimit - dispatched))],
        ])

        text += "\n## Mailboxes and guardrails\n\n"
        if mailboxes.isEmpty {
            text += "No send of this run counted against a mailbox (its senders have no `mailbox` entry, or nothing was sent).\n"
        } else {
            text += MarkdownText.table(["mailbox", "sends in this run", "its day", "sent that day (all campaigns) / allowed", "next send allowed"],
                                       mailboxes.map { [$0.address, String($0.sends), $0.day, "\($0.sentThatDay) / \($0.allowance)", $0.nextAllowedAt] })
        }
        let guardrails = campaign.campaign.effectiveGuardrails
        text += "\nGuardrails: pause at \(Guardrails.percent(guardrails.hardBounceRate)) hard bounces or "
            + "\(Guardrails.percent(guardrails.complaintRate)) complaints once \(guardrails.minSends) sends are in the last "
            + "\(DurationText.format(guardrails.windowSeconds)). "
        text += autoPause.map { "**This run stopped: \(MarkdownText.cell($0)).** Only `outreach campaign resume \(campaign.slug)` lifts the pause.\n" }
            ?? "They did not stop this run.\n"

        text += "\n## Retries and unknown outcomes\n\n"
        text += MarkdownText.table(["what", "jobs"], [
            ["left waiting for a retry by this run", String(retries)],
            ["found interrupted mid-send (now `unknown`, never re-sent automatically)", String(unknown)],
        ], prose: [0])
        text += "\n`attempts.csv` lists every job the run touched with its status, attempt and error.\n"

        text += "\n## Proof checks\n\n"
        text += "Each check counts violations of one rule over the campaign's whole history; 0 means the rule held. "
        text += "Re-run them against the database at any time: `sqlite3 outreach.sqlite < proof.sql`.\n\n"
        text += MarkdownText.table(["check", "violations", "what a 0 proves"], checks.map { [$0.check.name, String($0.violations), $0.check.meaning] }, prose: [2])

        text += "\n## Files\n\n"
        var files = [
            ["leads.csv", "one row per lead considered: decision, reason, job, status after, next action"],
            ["attempts.csv", "one row per job touched: key, status, attempt, next attempt, error"],
            ["proof.sql", "the read-only checks above, for `sqlite3`"],
            ["manifest.json", "every file with its size and SHA-256"],
        ]
        if run.mode == .proof { files.append(["messages/", "\(messageCount) rendered message(s) as .eml (RFC 5322), exactly as they would be sent"]) }
        text += MarkdownText.table(["file", "contents"], files, prose: [1])
        return text
    }
}
