import Foundation

/// The SQL behind the metrics (`PrometheusMetrics`): every figure of every campaign that is
/// not archived and of every mailbox, read inside one transaction.
enum MetricsQueries {
    /// What the metrics show at `now`.
    static func snapshot(_ db: any SQLConnection, now: Date) throws -> PrometheusMetrics.Snapshot {
        let killSwitch = try ListQueries.killSwitch(db).enabled
        let campaigns = try CampaignQueries.all(db).filter { $0.status != .archived }.map { stored in
            let status = try CampaignStatus.read(db, campaign: stored, now: now)
            return PrometheusMetrics.Snapshot.CampaignFigures(
                stored: stored, status: status,
                lastRunDecisions: try status.lastRun.map { try ArtifactQueries.decisionCounts(db, runID: $0.id) } ?? [:],
                lastSuccess: try lastSuccess(db, campaignID: stored.id))
        }
        let mailboxes = try MailboxQueries.all(db).map { try MailboxStatus.make(db, $0, now: now) }
        return PrometheusMetrics.Snapshot(killSwitch: killSwitch, campaigns: campaigns, mailboxes: mailboxes)
    }

    /// When a real (not dry) run of the campaign last finished without error: completed, or
    /// stopped for a reason that is not a failure.
    static func lastSuccess(_ db: any SQLConnection, campaignID: Int64) throws -> Date? {
        try String.fetchOne(db, sql: """
            SELECT max(finished_at) FROM runs WHERE campaign_id = ? AND dry_run = 0
              AND (status = 'completed' OR (status = 'stopped' AND coalesce(stop_reason, '') NOT IN ('unapproved', 'error')))
            """, arguments: [campaignID]).flatMap(Timestamp.parse)
    }
}
