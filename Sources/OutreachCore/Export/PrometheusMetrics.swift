import Foundation

/// The metrics file of `tick --metrics-file` in the Prometheus text format, for the
/// node_exporter textfile collector: every campaign's last run, jobs, leads, quota, due
/// leads, breaker and last success, all in one file (written atomically by the caller).
/// Every figure comes from one snapshot of the database (`Snapshot`, read by the Store), so
/// any tick writes a complete file.
public enum PrometheusMetrics {
    private struct Family {
        let name: String
        let help: String
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    /// What the metrics say, read from the database in one snapshot (`MetricsQueries`).
    public struct Snapshot: Sendable {
        /// One campaign that is not archived.
        public struct CampaignFigures: Sendable {
            public let stored: StoredCampaign
            public let status: CampaignStatus
            /// Decisions of its last run by kind (empty without a run).
            public let lastRunDecisions: [String: Int]
            /// When a run last finished without error; nil when none ever did.
            public let lastSuccess: Date?
        }

        public let killSwitch: Bool
        public let campaigns: [CampaignFigures]
        public let mailboxes: [MailboxStatus]
    }

    /// The metrics text for a snapshot.
    public static func text(_ snapshot: Snapshot) -> String {
        var families: [String: Family] = [:]
        var order: [String] = []
        func add(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            if families[name] == nil {
                families[name] = Family(name: name, help: help)
                order.append(name)
            }
            families[name]!.samples.append((labels, value))
        }
        add("outreach_kill_switch", "1 when the global kill switch stops all dispatch.", [], snapshot.killSwitch ? 1 : 0)
        for figures in snapshot.campaigns {
            let stored = figures.stored
            let campaign = [("campaign", stored.slug)]
            let status = figures.status
            add("outreach_campaign_paused", "1 when the campaign is paused.", campaign, stored.status == .paused ? 1 : 0)
            if let run = status.lastRun {
                add("outreach_last_run_duration_seconds", "How long the campaign's last run took.", campaign,
                    Double(run.durationMs ?? 0) / 1000)
                add("outreach_last_run_timestamp_seconds", "When the campaign's last run started.", campaign,
                    run.startedAt.timeIntervalSince1970)
                for kind in DecisionKind.allCases {
                    add("outreach_last_run_decisions", "Decisions of the campaign's last run, by kind.",
                        campaign + [("decision", kind.rawValue)], Double(figures.lastRunDecisions[kind.rawValue] ?? 0))
                }
            }
            // 0 when it never succeeded, so `time() - outreach_last_success_timestamp_seconds > 1800`
            // also fires for a campaign that has not once run well (SPEC §14).
            add("outreach_last_success_timestamp_seconds", "When a run of the campaign last finished without error (0: never).",
                campaign, figures.lastSuccess?.timeIntervalSince1970 ?? 0)
            add("outreach_campaign_approved", "1 when the campaign's current version is approved for live sending; `tick --all --mode live` passes over the others.",
                campaign, stored.isApproved ? 1 : 0)
            for (jobStatus, count) in status.jobsByStatus {
                add("outreach_jobs", "Jobs of the campaign, by status.", campaign + [("status", jobStatus.rawValue)], Double(count))
            }
            for (leadStatus, count) in status.leadsByStatus {
                add("outreach_leads", "Leads of the campaign, by status.", campaign + [("status", leadStatus.rawValue)], Double(count))
            }
            add("outreach_quota_used", "Dispatches counted against today's daily quota (campaign time zone).", campaign,
                Double(status.quotaUsedToday))
            add("outreach_quota_remaining", "Dispatches left in today's daily quota (campaign time zone).", campaign,
                Double(status.quotaRemainingToday))
            add("outreach_due_leads", "Leads due now.", campaign, Double(status.dueNow))
            add("outreach_breaker_open", "1 when the campaign's transport circuit breaker is open or half-open.",
                campaign + [("transport", stored.campaign.transport.kind)],
                status.breaker.map { $0.state == .closed ? 0 : 1 } ?? 0)
            add("outreach_campaign_auto_paused", "1 when the campaign's guardrails paused it (only `campaign resume` lifts it).",
                campaign, status.autoPaused ? 1 : 0)
            add("outreach_campaign_sends_in_window", "Sends counted by the campaign's guardrails (window, or since the last resume).",
                campaign, Double(status.reputation.sends))
            add("outreach_campaign_hard_bounce_rate", "Hard bounces per send in the guardrail window (0.05 is 5 %).",
                campaign, status.reputation.hardBounceRate)
            add("outreach_campaign_complaint_rate", "Complaints per send in the guardrail window.", campaign, status.reputation.complaintRate)
        }
        for mailbox in snapshot.mailboxes {
            let stored = mailbox.stored
            let labels = [("mailbox", stored.address)]
            add("outreach_mailbox_paused", "1 when the mailbox is paused (by an operator or its guardrails).", labels,
                stored.status == .paused ? 1 : 0)
            add("outreach_mailbox_auto_paused", "1 when the mailbox's guardrails paused it.", labels, stored.autoPaused ? 1 : 0)
            add("outreach_mailbox_sent_today", "Sends from the mailbox on its current day (its own time zone), all campaigns.", labels,
                Double(mailbox.sentToday))
            add("outreach_mailbox_allowance_today", "Sends the mailbox may make today: its cap, or less while it warms up.", labels,
                Double(mailbox.allowanceToday))
            add("outreach_mailbox_warmup_day", "Days since the mailbox's first send (warm-up day; -1 without warm-up).", labels,
                Double(mailbox.warmupDay ?? -1))
            add("outreach_mailbox_next_send_timestamp_seconds", "When the mailbox may send next (0 while paused).", labels,
                mailbox.nextSendAt?.timeIntervalSince1970 ?? 0)
            add("outreach_mailbox_hard_bounce_rate", "Hard bounces per send in the mailbox's guardrail window.", labels,
                mailbox.reputation.hardBounceRate)
            add("outreach_mailbox_complaint_rate", "Complaints per send in the mailbox's guardrail window.", labels,
                mailbox.reputation.complaintRate)
        }
        var text = ""
        for name in order {
            let family = families[name]!
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n"
            for sample in family.samples {
                let labels = sample.labels.isEmpty ? "" : "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                text += "\(family.name)\(labels) \(format(sample.value))\n"
            }
        }
        return text
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
