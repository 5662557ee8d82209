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

    /// The one line `outreach tick` prints per campaign.
    public var summaryLine: String {
        var parts = ["\(slug): run \(runID) \(status.rawValue)"]
        if let stopReason { parts[0] += " (\(stopReason.rawValue))" }
        parts.append("\(mode.rawValue)\(dryRun ? " dry-run, rolled back" : "")")
        parts.append("\(counters.dispatched) dispatched")
        parts.append("\(counters.skipped) skipped")
        let blocked = decisionCounts.filter { $0.key.isBlock }.values.reduce(0, +)
        if blocked > 0 { parts.append("\(blocked) blocked") }
        // Jobs of unknown outcome: interrupted by an earlier crash, or ambiguous in this run.
        let unknown = counters.unknownRecovered + counters.unknownOutcomes
        if unknown > 0 { parts.append("\(unknown) unknown") }
        parts.append("quota \(quotaUsed)/\(dailyQuota) today")
        return parts.joined(separator: ", ")
    }
}
