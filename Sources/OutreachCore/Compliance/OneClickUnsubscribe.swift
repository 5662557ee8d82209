import Foundation

/// The unsubscribe behind a message's link (SPEC §10): resolves a token to the person and
/// campaign it was made for, and records the unsubscribe in one transaction.
///
/// The token's reference is looked up first (a lead id, or a version 1 token's campaign and
/// address), then its signature is checked against that campaign's secret and, during a
/// rotation, the previous one. A forged, damaged or unknown token is one answer, `nil`, so
/// the caller reveals nothing about which part failed.
public struct OneClickUnsubscribe: Sendable {
    /// Who a valid token unsubscribes, and from what.
    public struct Target: Sendable, Equatable {
        public let email: String
        public let campaignID: Int64
        public let campaignSlug: String
        /// The campaign's `From`, shown on the confirmation page.
        public let sender: String
        /// nil: every campaign (`unsubscribe.scope: global`).
        public let scopeCampaignID: Int64?
    }

    /// What a POST did.
    public enum Outcome: Sendable, Equatable {
        case recorded(Target)
        /// The same unsubscribe was already there (a repeated click): nothing changed.
        case alreadyRecorded(Target)
    }

    let store: Store
    let clock: any WallClock
    let secrets: SecretEnvironment
    /// Decoded campaigns by id, kept while their `updated_at` is unchanged: decoding the
    /// stored definition would otherwise be most of a click's cost.
    private let campaigns = CampaignCache()

    public init(store: Store, clock: any WallClock, secrets: SecretEnvironment) {
        self.store = store
        self.clock = clock
        self.secrets = secrets
    }

    /// The target of a valid token, or nil; reads only (a GET, a link scanner's prefetch).
    public func resolve(_ token: String) throws -> Target? {
        guard let parsed = UnsubscribeToken.parse(token) else { return nil }
        return try store.read("reading an unsubscribe token") { db in try target(db, parsed) }
    }

    /// Records the unsubscribes of valid tokens in one transaction (`serve` commits the clicks
    /// that arrive together as a group): one answer per token, in order, nil for an invalid
    /// one (nothing written for it).
    public func unsubscribe(_ tokens: [String]) throws -> [Outcome?] {
        let parsed = tokens.map(UnsubscribeToken.parse)
        guard parsed.contains(where: { $0 != nil }) else { return parsed.map { _ in nil } }
        return try store.write("recording \(tokens.count) one-click unsubscribe(s)") { db in
            let now = clock.now()
            let source = "one-click unsubscribe at \(Timestamp.format(now))"
            return try parsed.map { token -> Outcome? in
                guard let token, let target = try target(db, token) else { return nil }
                let added = try ListQueries.addUnsubscribe(db, email: target.email, campaignID: target.scopeCampaignID, source: source, now: now)
                return added ? .recorded(target) : .alreadyRecorded(target)
            }
        }
    }

    /// The secrets that may have signed a campaign's tokens: current, then previous.
    public func signingSecrets(of campaign: Campaign) -> [String] {
        [campaign.unsubscribe.secretEnv, campaign.unsubscribe.previousSecretEnv].compactMap { $0.flatMap(secrets.value) }
    }

    private func target(_ db: any SQLConnection, _ parsed: UnsubscribeToken.Parsed) throws -> Target? {
        let stored: StoredCampaign
        let email: String
        var sender: String?
        switch parsed.reference {
        case .lead(let id):
            guard let lead = try LeadQueries.find(db, id: id), let campaign = try campaigns.campaign(db, id: lead.campaignID)
            else { return nil }
            (stored, email) = (campaign, lead.email)
            sender = lead.sender.flatMap(campaign.campaign.sender.from(address:))
        case .legacy(let slug, let address):
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM campaigns WHERE slug = ?", arguments: [slug]),
                  let campaign = try campaigns.campaign(db, id: id) else { return nil }
            (stored, email) = (campaign, EmailAddress.normalize(address))
        }
        guard parsed.isSigned(byOneOf: signingSecrets(of: stored.campaign)) else { return nil }
        return Target(email: email, campaignID: stored.id, campaignSlug: stored.slug, sender: sender ?? stored.campaign.sender.primary,
                      scopeCampaignID: stored.campaign.unsubscribe.scope == .campaign ? stored.id : nil)
    }
}

/// Campaigns decoded once and reused while their row's `updated_at` is the same.
private final class CampaignCache: @unchecked Sendable {  // Every access holds `lock`.
    private let lock = NSLock()
    private var entries: [Int64: (updatedAt: String, campaign: StoredCampaign)] = [:]

    func campaign(_ db: any SQLConnection, id: Int64) throws -> StoredCampaign? {
        guard let updatedAt = try String.fetchOne(db, sql: "SELECT updated_at FROM campaigns WHERE id = ?", arguments: [id]) else {
            return nil
        }
        if let entry = lock.withLock({ entries[id] }), entry.updatedAt == updatedAt { return entry.campaign }
        guard let campaign = try CampaignQueries.find(db, id: id) else { return nil }
        lock.withLock { entries[id] = (updatedAt, campaign) }
        return campaign
    }
}
