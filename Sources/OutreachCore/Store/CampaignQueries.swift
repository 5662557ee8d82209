import Foundation

/// A campaign as stored: its definition plus operational state (status, approval).
public struct StoredCampaign: Sendable {
    /// Operational status of a campaign.
    public enum Status: String, Sendable, Codable {
        case active, paused, archived
    }

    /// Who approved which content, and when.
    public struct Approval: Sendable, Equatable {
        public let contentHash: String
        public let approvedBy: String
        public let approvedAt: Date
    }

    public let id: Int64
    public let campaign: Campaign
    public let status: Status
    public let statusReason: String?
    public let contentHash: String
    /// The latest approval, which may be for older content.
    public let latestApproval: Approval?
    public let createdAt: Date
    public let updatedAt: Date

    public var slug: String { campaign.slug }

    /// True when the latest approval vouches for the current content.
    public var isApproved: Bool { latestApproval?.contentHash == contentHash }
}

/// The SQL for campaigns and their approvals.
public enum CampaignQueries {
    /// What `campaign apply` did.
    public enum ApplyResult: Sendable {
        case created(StoredCampaign)
        /// `approvalRevoked` is true when the change invalidated an approval.
        case updated(StoredCampaign, approvalRevoked: Bool)
        case unchanged(StoredCampaign)
    }

    private static let selectSQL = """
        SELECT c.*, a.content_hash AS approved_hash, a.approved_by, a.approved_at
        FROM campaigns c
        LEFT JOIN campaign_approvals a ON a.id = (
            SELECT max(id) FROM campaign_approvals WHERE campaign_id = c.id)
        """

    /// Creates or updates a campaign from its definition; progress of leads is untouched.
    public static func apply(_ db: any SQLConnection, _ campaign: Campaign, now: Date) throws -> ApplyResult {
        let definition = campaign.canonicalJSON()
        let hash = campaign.contentHash
        let stamp = Timestamp.format(now)
        if let existing = try find(db, slug: campaign.slug) {
            if existing.campaign == campaign { return .unchanged(existing) }
            try db.execute(sql: """
                UPDATE campaigns SET name = ?, timezone = ?, definition = ?, content_hash = ?, per_tick = ?,
                    daily_quota = ?, updated_at = ? WHERE id = ?
                """, arguments: [campaign.name, campaign.timezone, definition, hash, campaign.limits.perTick,
                                 campaign.limits.dailyQuota, stamp, existing.id])
            let updated = try find(db, slug: campaign.slug)!
            return .updated(updated, approvalRevoked: existing.isApproved && !updated.isApproved)
        }
        let id = try Int64.fetchOne(db, sql: """
            INSERT INTO campaigns (slug, name, timezone, definition, content_hash, per_tick, daily_quota, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, arguments: [campaign.slug, campaign.name, campaign.timezone, definition, hash, campaign.limits.perTick,
                             campaign.limits.dailyQuota, stamp, stamp])
        try db.execute(sql: "INSERT INTO leases (campaign_id) VALUES (?)", arguments: [id])
        return .created(try find(db, slug: campaign.slug)!)
    }

    /// The campaign with this slug, or nil.
    public static func find(_ db: any SQLConnection, slug: String) throws -> StoredCampaign? {
        try SQLRecord.fetchOne(db, sql: selectSQL + " WHERE c.slug = ?", arguments: [slug]).map(decode)
    }

    /// The campaign with this id, or nil.
    public static func find(_ db: any SQLConnection, id: Int64) throws -> StoredCampaign? {
        try SQLRecord.fetchOne(db, sql: selectSQL + " WHERE c.id = ?", arguments: [id]).map(decode)
    }

    /// The campaign with this slug, or a bad-input error that says how to find the right one.
    public static func require(_ db: any SQLConnection, slug: String) throws -> StoredCampaign {
        guard let campaign = try find(db, slug: slug) else {
            throw OutreachError.badInput(
                "There is no campaign '\(EmailAddress.printable(slug))'; `outreach campaign list` shows the campaigns.")
        }
        return campaign
    }

    /// Every campaign, by slug.
    public static func all(_ db: any SQLConnection) throws -> [StoredCampaign] {
        try SQLRecord.fetchAll(db, sql: selectSQL + " ORDER BY c.slug").map(decode)
    }

    /// Pauses, resumes or archives a campaign. A resume restarts the guardrail window
    /// (SPEC §12: rates count only sends and events from the resume on).
    public static func setStatus(_ db: any SQLConnection, id: Int64, _ status: StoredCampaign.Status, reason: String?, now: Date) throws {
        let stamp = Timestamp.format(now)
        try db.execute(sql: """
            UPDATE campaigns SET status = ?, status_reason = ?, auto_paused = 0, updated_at = ?,
                guardrails_since = CASE WHEN ? = 'active' THEN ? ELSE guardrails_since END
            WHERE id = ?
            """, arguments: [status.rawValue, reason, stamp, status.rawValue, stamp, id])
    }

    /// Records an approval of the campaign's current content.
    public static func approve(_ db: any SQLConnection, _ campaign: StoredCampaign, by name: String, now: Date) throws {
        try db.execute(sql: """
            INSERT INTO campaign_approvals (campaign_id, content_hash, approved_by, approved_at) VALUES (?, ?, ?, ?)
            """, arguments: [campaign.id, campaign.contentHash, name, Timestamp.format(now)])
    }

    /// The status and reason only: what the tick re-reads before every dispatch.
    static func status(_ db: any SQLConnection, id: Int64) throws -> (StoredCampaign.Status, String?) {
        let row = try SQLRecord.fetchOne(db, sql: "SELECT status, status_reason FROM campaigns WHERE id = ?", arguments: [id])
        guard let row, let status = StoredCampaign.Status(rawValue: row["status"]) else { return (.archived, "deleted") }
        return (status, row["status_reason"])
    }

    private static func decode(_ row: SQLRecord) throws -> StoredCampaign {
        var approval: StoredCampaign.Approval?
        if let hash: String = row["approved_hash"] {
            approval = .init(contentHash: hash, approvedBy: row["approved_by"],
                             approvedAt: Timestamp.parse(row["approved_at"]) ?? .distantPast)
        }
        return StoredCampaign(
            id: row["id"],
            campaign: try Campaign.fromStoredJSON(row["definition"]),
            status: StoredCampaign.Status(rawValue: row["status"]) ?? .archived,
            statusReason: row["status_reason"],
            contentHash: row["content_hash"],
            latestApproval: approval,
            createdAt: Timestamp.parse(row["created_at"]) ?? .distantPast,
            updatedAt: Timestamp.parse(row["updated_at"]) ?? .distantPast)
    }
}
