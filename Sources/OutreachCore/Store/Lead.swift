import Foundation

/// A person in one campaign, and where they are in its sequence.
public struct Lead: Sendable, Equatable {
    public let id: Int64
    public let campaignID: Int64
    /// Normalized (trimmed, lower-case): the identity of the person.
    public let email: String
    public var firstName: String?
    public var lastName: String?
    public var company: String?
    /// IANA name, when the import gave one.
    public var timezone: String?
    /// Every other CSV column, for templates.
    public var attributes: [String: String]
    public var status: LeadStatus
    public var blockedReason: String?
    /// The index of the next step to send.
    public var stepIndex: Int
    /// When the lead is next due; nil while one of its jobs is in flight or it left the sequence.
    public var nextActionAt: Date?
    public var lastContactedAt: Date?
    public var dnc: Bool
    public var dncAt: Date?
    public var dncReason: String?
    public var softBounces: Int
    public let createdAt: Date
    public var updatedAt: Date
    /// The address it is sent from (SPEC §12): set at its first message, then kept.
    public var sender: String?

    /// The domain of the address.
    public var domain: String { EmailAddress.domain(of: email) }

    /// The values templates can use: the known columns, `email`, and every attribute.
    public func templateValues() -> [String: String] {
        var values = attributes
        values["email"] = email
        if let firstName { values["first_name"] = firstName }
        if let lastName { values["last_name"] = lastName }
        if let company { values["company"] = company }
        if let timezone { values["timezone"] = timezone }
        return values
    }

    /// The columns every lead query selects, in the order `init(statement:)` reads them.
    static let columns = """
        id, campaign_id, email, first_name, last_name, company, timezone, attributes, status, blocked_reason,
        step_index, next_action_at, last_contacted_at, dnc, dnc_at, dnc_reason, soft_bounces, created_at, updated_at, sender
        """

    /// Reads the current row of a statement that selected `Lead.columns`.
    init(statement: SQLRow) {
        id = statement.int64(0)
        campaignID = statement.int64(1)
        email = statement.string(2) ?? ""
        firstName = statement.string(3)
        lastName = statement.string(4)
        company = statement.string(5)
        timezone = statement.string(6)
        attributes = statement.string(7).flatMap(JSONText.decodeFlat) ?? [:]
        status = statement.string(8).flatMap(LeadStatus.init(rawValue:)) ?? .failed
        blockedReason = statement.string(9)
        stepIndex = statement.int(10)
        nextActionAt = statement.string(11).flatMap(Timestamp.parse)
        lastContactedAt = statement.string(12).flatMap(Timestamp.parse)
        dnc = statement.int64(13) != 0
        dncAt = statement.string(14).flatMap(Timestamp.parse)
        dncReason = statement.string(15)
        softBounces = statement.int(16)
        createdAt = statement.string(17).flatMap(Timestamp.parse) ?? .distantPast
        updatedAt = statement.string(18).flatMap(Timestamp.parse) ?? .distantPast
        sender = statement.string(19)
    }
}

/// The SQL for leads outside the tick's hot path.
public enum LeadQueries {
    /// The lead of a campaign with this (normalized) address.
    public static func find(_ db: any SQLConnection, campaignID: Int64, email: String) throws -> Lead? {
        try db.first("SELECT \(Lead.columns) FROM leads WHERE campaign_id = ? AND email = ?",
                                    [.int(campaignID), .text(email)], Lead.init(statement:))
    }

    /// A lead by id.
    public static func find(_ db: any SQLConnection, id: Int64) throws -> Lead? {
        try db.first("SELECT \(Lead.columns) FROM leads WHERE id = ?", [.int(id)], Lead.init(statement:))
    }

    /// Every lead of a campaign (optionally of one status), by id; streamed to `body`.
    public static func forEach(_ db: any SQLConnection, campaignID: Int64, status: LeadStatus?, _ body: (Lead) throws -> Void) throws {
        var sql = "SELECT \(Lead.columns) FROM leads WHERE campaign_id = ?"
        var values: [SQLValue] = [.int(campaignID)]
        if let status {
            sql += " AND status = ?"
            values.append(.text(status.rawValue))
        }
        try db.forEach(sql + " ORDER BY id", values) { try body(Lead(statement: $0)) }
    }

    /// Leads by status for a campaign (every status present, zero counts included).
    public static func countsByStatus(_ db: any SQLConnection, campaignID: Int64) throws -> [(LeadStatus, Int)] {
        let rows = try SQLRecord.fetchAll(db, sql: "SELECT status, count(*) FROM leads WHERE campaign_id = ? GROUP BY status",
                                    arguments: [campaignID])
        var counts: [String: Int] = [:]
        for row in rows { counts[row[0]] = row[1] }
        return LeadStatus.allCases.map { ($0, counts[$0.rawValue] ?? 0) }
    }

    /// How many leads are due now (status new/active, next_action_at passed).
    public static func dueCount(_ db: any SQLConnection, campaignID: Int64, now: Date) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM leads WHERE campaign_id = ? AND status IN ('new', 'active') AND next_action_at <= ?
            """, arguments: [campaignID, Timestamp.format(now)]) ?? 0
    }

    /// Marks a lead do-not-contact. DNC is sticky (nothing clears it); the next tick that
    /// considers the lead blocks it with `skipped_dnc`. Returns false when it already was DNC.
    @discardableResult
    public static func markDNC(_ db: any SQLConnection, leadID: Int64, reason: String?, now: Date) throws -> Bool {
        let stamp = Timestamp.format(now)
        try db.execute(sql: "UPDATE leads SET dnc = 1, dnc_at = ?, dnc_reason = ?, updated_at = ? WHERE id = ? AND dnc = 0",
                       arguments: [stamp, reason, stamp, leadID])
        return db.changesCount > 0
    }
}
