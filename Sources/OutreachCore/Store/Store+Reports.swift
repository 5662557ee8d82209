import Foundation

/// The reading transactions behind reports: `status`, `verify`, `export`, and the metrics of
/// `tick --metrics-file` and `serve`'s `/metrics`. Each reads one snapshot, so the figures it
/// reports agree with each other.
extension Store {
    /// The status of one campaign, or of every campaign when `slug` is nil, at `now`.
    public func campaignStatuses(slug: String?, now: Date) throws -> [CampaignStatus] {
        try read("reading the status") { db in
            let campaigns = try slug.map { [try CampaignQueries.require(db, slug: $0)] } ?? CampaignQueries.all(db)
            return try campaigns.map { try CampaignStatus.read(db, campaign: $0, now: now) }
        }
    }

    /// Every proof check over the whole history of the named campaigns (every campaign when
    /// `slugs` is empty), as (campaign, check, violations) in order.
    public func verifyProofChecks(slugs: [String]) throws -> [(slug: String, check: ProofChecks.Check, violations: Int)] {
        try read("verifying the proof checks") { db in
            let campaigns = slugs.isEmpty ? try CampaignQueries.all(db) : try slugs.map { try CampaignQueries.require(db, slug: $0) }
            return try campaigns.flatMap { campaign in
                try ProofChecks.run(db, campaignID: campaign.id, runID: "").map { (campaign.slug, $0.check, $0.violations) }
            }
        }
    }

    /// Writes the proof artifacts of a campaign's run (its latest when `runID` is nil) under
    /// `root` (`outreach export`); the files come from the run's rows as one snapshot.
    public func exportRun(slug: String, runID: String?, root: String) throws -> ProofArtifacts.Written {
        try read("exporting a run of \(slug)") { db in
            let campaign = try CampaignQueries.require(db, slug: slug)
            var chosen = runID
            if chosen == nil {
                guard let latest = try RunQueries.list(db, campaignID: campaign.id, limit: 1).first else {
                    throw OutreachError.badInput("Campaign \(slug) has no runs yet; run `outreach tick \(slug)` first.")
                }
                chosen = latest.id
            }
            return try ProofArtifacts.export(db, campaign: campaign, runID: chosen!, root: root)
        }
    }

    /// The Prometheus metrics of every campaign and mailbox at `now` (`serve`'s `/metrics`).
    public func metricsText(now: Date) throws -> String {
        PrometheusMetrics.text(try read("reading metrics") { db in try MetricsQueries.snapshot(db, now: now) })
    }

    /// Writes the Prometheus metrics at `now` to `path` atomically (`tick --metrics-file`).
    public func writeMetrics(to path: String, now: Date) throws {
        let snapshot = try read("writing the metrics file") { db in try MetricsQueries.snapshot(db, now: now) }
        try AtomicFile.write(PrometheusMetrics.text(snapshot), to: path)
    }
}
