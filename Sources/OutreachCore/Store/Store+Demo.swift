import Foundation

/// The transactions of `outreach demo`, which builds a sample database: its campaign, the
/// list entries that show each kind of opt-out, and its run's artifacts.
extension Store {
    /// Creates the demo campaign (with its lease row), in one transaction.
    public func createDemoCampaign(_ campaign: Campaign, clock: any WallClock) throws {
        _ = try write("creating the demo campaign") { db in try CampaignQueries.apply(db, campaign, now: clock.now()) }
    }

    /// Records the demo's opt-outs: addresses unsubscribed from every campaign or from the
    /// demo's, suppressed addresses, and one suppressed domain. One transaction at one instant,
    /// so the demo's tick sees all of them or none.
    public func addDemoOptOuts(slug: String, unsubscribedGlobally: [String], unsubscribedFromCampaign: [String],
                               suppressedEmails: [String], suppressedDomain: String, clock: any WallClock) throws {
        try write("adding the demo's unsubscribes and suppressions") { db in
            let now = clock.now()
            let campaignID = try CampaignQueries.require(db, slug: slug).id
            for email in unsubscribedGlobally {
                try ListQueries.addUnsubscribe(db, email: email, campaignID: nil, source: "demo: unsubscribe link", now: now)
            }
            for email in unsubscribedFromCampaign {
                try ListQueries.addUnsubscribe(db, email: email, campaignID: campaignID, source: "demo: replied 'stop'", now: now)
            }
            for email in suppressedEmails {
                _ = try ListQueries.addSuppression(db, kind: .email, value: email, reason: "demo: hard bounce", until: nil, now: now)
            }
            _ = try ListQueries.addSuppression(db, kind: .domain, value: suppressedDomain, reason: "demo: competitor", until: nil, now: now)
        }
    }

    /// Writes the proof artifacts of the demo's run under `root`, from one snapshot.
    public func exportDemoArtifacts(slug: String, runID: String, root: String) throws -> ProofArtifacts.Written {
        try read("exporting the demo's artifacts") { db in
            try ProofArtifacts.export(db, campaign: try CampaignQueries.require(db, slug: slug), runID: runID, root: root)
        }
    }
}
