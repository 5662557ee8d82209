import Foundation

/// The campaigns' transactions: `campaign apply|list|show|pause|resume|approve`, and what a
/// tick session reads of every campaign before it starts.
///
/// Writes take the clock rather than an instant: each reads it once the write lock is held,
/// so the times they record follow commit order (see `Store`).
extension Store {
    /// Creates or updates a campaign from its file (`file` names it in errors). One
    /// transaction, so no tick ever sees a campaign without its lease row, or new content
    /// judged against the approval of the old.
    public func applyCampaign(_ campaign: Campaign, from file: String, clock: any WallClock) throws -> CampaignQueries.ApplyResult {
        try write("applying \(file)") { db in try CampaignQueries.apply(db, campaign, now: clock.now()) }
    }

    /// Every campaign, by slug, from one snapshot.
    public func campaigns() throws -> [StoredCampaign] {
        try read("listing campaigns") { db in try CampaignQueries.all(db) }
    }

    /// Every environment variable some campaign names as a secret (a live tick keeps them all
    /// from its children, SPEC §9.3), from one snapshot of the campaigns.
    public func campaignSecretNames() throws -> Set<String> {
        try read("reading the campaigns' secret names") { db in
            try CampaignQueries.all(db).reduce(into: Set<String>()) { names, stored in
                names.formUnion(TransportFactory.secretVariables(of: stored.campaign))
            }
        }
    }

    /// A campaign and its lease, read in one snapshot, so the lease shown is the campaign's
    /// as it was when the campaign was read.
    public func campaignWithLease(slug: String) throws -> (campaign: StoredCampaign, lease: Lease) {
        try read("reading campaign \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            return (stored, try LeaseQueries.read(db, campaignID: stored.id))
        }
    }

    /// Pauses a campaign; running ticks stop before their next dispatch. The lookup and the
    /// update are one transaction, so the campaign paused is the one the slug names at commit.
    public func pauseCampaign(slug: String, reason: String?, clock: any WallClock) throws {
        try write("pausing \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            try CampaignQueries.setStatus(db, id: stored.id, .paused, reason: reason, now: clock.now())
        }
    }

    /// Resumes a campaign and restarts its guardrail window, in one transaction: no tick can
    /// dispatch under the resume while its rates still count the sends from before the pause.
    public func resumeCampaign(slug: String, clock: any WallClock) throws {
        try write("resuming \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            try CampaignQueries.setStatus(db, id: stored.id, .active, reason: nil, now: clock.now())
        }
    }

    /// Approves the campaign's current content for live sending. The content is read and its
    /// hash recorded in one transaction, so an `apply` committing in between cannot get its
    /// new content approved unseen. Returns the campaign as approved.
    public func approveCampaign(slug: String, by name: String, clock: any WallClock) throws -> StoredCampaign {
        try write("approving \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            try CampaignQueries.approve(db, stored, by: name, now: clock.now())
            return stored
        }
    }
}
