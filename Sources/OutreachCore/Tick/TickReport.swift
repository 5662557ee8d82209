import Foundation

/// What a tick did, for the summary line, the logs and the exit code.
public struct TickReport: Sendable {
    public let slug: String
    public let runID: String
    public let mode: DispatchMode
    public let dryRun: Bool
    public let owner: String
    public let fencingToken: Int64
    public let startedAt: Date
    public var finishedAt: Date
    public var status: RunStatus
    public var stopReason: StopReason?
    public var counters: RunCounters
    public var decisionCounts: [DecisionKind: Int]
    public var quotaUsed: Int
    public var dailyQuota: Int
    /// Set when the run was recorded but the command must still fail (live tick on an
    /// unapproved campaign: exit 78).
    public var failure: OutreachError?
    /// Set when the run stopped because the campaign's window is closed: when it opens, so
    /// that a tick at the weekend says why nothing went out (SPEC §14).
    public var windowOpensAt: Date?

    /// Jobs of unknown outcome: interrupted by an earlier crash, or ambiguous in this run.
    public var unknown: Int { counters.unknownRecovered + counters.unknownOutcomes }
    /// Leads blocked by a compliance list in this run.
    public var blocked: Int { decisionCounts.filter { $0.key.isBlock }.values.reduce(0, +) }

    /// The summary line's facts as typed JSON fields (`--log-format json`, SPEC §14).
    public var fields: [(String, JSONText.Value)] {
        [
            ("campaign", .string(slug)), ("run_id", .string(runID)), ("status", .string(status.rawValue)),
            ("stop_reason", .optional(stopReason?.rawValue)), ("mode", .string(mode.rawValue)), ("dry_run", .bool(dryRun)),
            ("considered", .int(Int64(counters.considered))), ("dispatched", .int(Int64(counters.dispatched))),
            ("skipped", .int(Int64(counters.skipped))), ("blocked", .int(Int64(blocked))), ("unknown", .int(Int64(unknown))),
            ("quota_used", .int(Int64(quotaUsed))), ("daily_quota", .int(Int64(dailyQuota))),
            ("started_at", .timestamp(startedAt)), ("finished_at", .timestamp(finishedAt)),
            ("window_opens_at", .timestamp(windowOpensAt)),
        ]
    }

    /// The one line `outreach tick` prints per campaign.
    public var summaryLine: String {
        var parts = ["\(slug): run \(runID) \(status.rawValue)"]
        if let stopReason {
            parts[0] += " (\(stopReason.rawValue)" + (windowOpensAt.map { ": the sending window opens at \(Timestamp.format($0))" } ?? "") + ")"
        }
        parts.append("\(mode.rawValue)\(dryRun ? " dry-run, rolled back" : "")")
        parts.append("\(counters.dispatched) dispatched")
        parts.append("\(counters.skipped) skipped")
        if blocked > 0 { parts.append("\(blocked) blocked") }
        if unknown > 0 { parts.append("\(unknown) unknown") }
        parts.append("quota \(quotaUsed)/\(dailyQuota) today")
        return parts.joined(separator: ", ")
    }
}
