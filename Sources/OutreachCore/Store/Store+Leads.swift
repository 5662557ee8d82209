import Foundation

/// The leads' transactions besides their import (`LeadImporter`): `leads list|show|dnc|forget`.
extension Store {
    /// Hands every lead of a campaign (optionally of one status) to `body`, by id, from one
    /// snapshot; rows are streamed, not collected (a campaign may hold millions).
    public func forEachLead(ofCampaign slug: String, status: LeadStatus?, _ body: (Lead) throws -> Void) throws {
        try read("listing leads of \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            try LeadQueries.forEach(db, campaignID: stored.id, status: status, body)
        }
    }

    /// The lead of a campaign with this address, and why the next tick would or would not
    /// send to it (`leads show`). Everything is read in one snapshot, so the explanation
    /// judges the lead, its jobs and the lists as they were together. With `secrets`, the
    /// next step is rendered too, to tell a missing template variable.
    public func inspectLead(slug: String, email: String, now: Date, secrets: SecretEnvironment?) throws -> LeadInspection {
        try read("reading lead \(email)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            let evidence = try InspectionQueries.evidence(db, campaign: stored, email: email, now: now)
            return LeadInspection(campaign: stored, evidence: evidence, now: now, secrets: secrets)
        }
    }

    /// Marks a lead do-not-contact, for good. Finding the lead and flagging it are one
    /// transaction, so the flag lands on the lead the address names when it commits; the
    /// next tick that considers it blocks it. False when it already was do-not-contact.
    public func markDoNotContact(slug: String, email: String, reason: String?, clock: any WallClock) throws -> Bool {
        let normalized = EmailAddress.normalize(email)
        return try write("marking \(normalized) do-not-contact") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            guard let lead = try LeadQueries.find(db, campaignID: stored.id, email: normalized) else {
                throw OutreachError.badInput("Campaign \(slug) has no lead \(EmailAddress.printable(normalized)); check the address with `outreach leads list \(slug)`.")
            }
            return try LeadQueries.markDNC(db, leadID: lead.id, reason: reason, now: clock.now())
        }
    }

    /// Erases a person in every campaign (GDPR Art. 17, `leads forget`), keeping only the hash
    /// of their address. One transaction: they are never half-forgotten, with their address
    /// gone from one table and still in another, or their hash recorded before their data is.
    public func forgetPerson(email: String, clock: any WallClock) throws -> ForgetQueries.Report {
        try write("forgetting a person") { db in try ForgetQueries.forget(db, email: email, now: clock.now()) }
    }
}
