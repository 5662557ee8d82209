import Foundation

/// An unsubscribe: global (every campaign) or for one campaign.
public struct Unsubscribe: Sendable, Equatable {
    public let id: Int64
    public let email: String
    /// nil: every campaign.
    public let campaignSlug: String?
    public let source: String?
    public let createdAt: Date
}

/// A suppression of one address or of a whole domain, possibly until a date.
public struct Suppression: Sendable, Equatable {
    /// What a suppression covers.
    public enum Kind: String, Sendable, Codable {
        /// One address.
        case email
        /// Every address whose domain equals the value exactly (sub-domains are not covered).
        case domain
    }

    public let id: Int64
    public let kind: Kind
    public let value: String
    public let reason: String?
    /// nil: no expiry.
    public let until: Date?
    public let createdAt: Date
    public let removedAt: Date?

    /// True when the suppression blocks sending at `instant`.
    public func isActive(at instant: Date) -> Bool {
        createdAt <= instant && (removedAt.map { instant < $0 } ?? true) && (until.map { instant < $0 } ?? true)
    }
}

/// The global stop of all dispatch.
public struct KillSwitch: Sendable, Equatable {
    public let enabled: Bool
    public let reason: String?
    public let changedAt: Date?
}

/// The SQL for the compliance lists: unsubscribes, suppressions and the kill switch.
public enum ListQueries {
    // MARK: - Unsubscribes

    /// Records an unsubscribe; returns false when the same one already exists.
    @discardableResult
    /// A forgotten person is not stored again (their hash already keeps them out): false.
    public static func addUnsubscribe(_ db: any SQLConnection, email: String, campaignID: Int64?, source: String?, now: Date) throws -> Bool {
        if try ForgetQueries.isForgotten(db, email: email) { return false }
        try db.execute(sql: """
            INSERT INTO unsubscribes (email, campaign_id, source, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, arguments: [email, campaignID, source, Timestamp.format(now)])
        return db.changesCount > 0
    }

    /// Every unsubscribe, newest first.
    public static func unsubscribes(_ db: any SQLConnection) throws -> [Unsubscribe] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT u.id, u.email, c.slug, u.source, u.created_at FROM unsubscribes u
            LEFT JOIN campaigns c ON c.id = u.campaign_id ORDER BY u.created_at DESC, u.id DESC
            """).map { row in
            Unsubscribe(id: row[0], email: row[1], campaignSlug: row[2], source: row[3],
                        createdAt: Timestamp.parse(row[4]) ?? .distantPast)
        }
    }

    // MARK: - Suppressions

    /// What `suppress add` did.
    public enum SuppressionChange: Sendable, Equatable {
        case added
        /// An identical active suppression exists.
        case unchanged
        /// An active one with another reason or expiry was ended and replaced (history kept).
        case replaced
    }

    /// Adds a suppression, keeping history: a different active one is ended, not edited.
    public static func addSuppression(_ db: any SQLConnection, kind: Suppression.Kind, value: String, reason: String?, until: Date?,
                                      now: Date) throws -> SuppressionChange {
        if kind == .email, try ForgetQueries.isForgotten(db, email: value) { return .unchanged }
        let stamp = Timestamp.format(now)
        var change = SuppressionChange.added
        if let active = try activeSuppression(db, kind: kind, value: value) {
            if active.reason == reason && active.until == until { return .unchanged }
            try db.execute(sql: "UPDATE suppressions SET removed_at = ? WHERE id = ?", arguments: [stamp, active.id])
            change = .replaced
        }
        try db.execute(sql: """
            INSERT INTO suppressions (kind, value, reason, until, created_at) VALUES (?, ?, ?, ?, ?)
            """, arguments: [kind.rawValue, value, reason, Timestamp.format(until), stamp])
        return change
    }

    /// Ends an active suppression; returns false when there was none.
    @discardableResult
    public static func removeSuppression(_ db: any SQLConnection, kind: Suppression.Kind, value: String, now: Date) throws -> Bool {
        try db.execute(sql: "UPDATE suppressions SET removed_at = ? WHERE kind = ? AND value = ? AND removed_at IS NULL",
                       arguments: [Timestamp.format(now), kind.rawValue, value])
        return db.changesCount > 0
    }

    /// The active (not removed) suppression of a value, expired or not.
    static func activeSuppression(_ db: any SQLConnection, kind: Suppression.Kind, value: String) throws -> Suppression? {
        try SQLRecord.fetchOne(db, sql: "SELECT \(suppressionColumns) FROM suppressions WHERE kind = ? AND value = ? AND removed_at IS NULL",
                         arguments: [kind.rawValue, value]).map(decodeSuppression)
    }

    /// Suppressions not removed (expired ones included, so operators see them), or all.
    public static func suppressions(_ db: any SQLConnection, includeRemoved: Bool = false) throws -> [Suppression] {
        try SQLRecord.fetchAll(db, sql: """
            SELECT \(suppressionColumns) FROM suppressions \(includeRemoved ? "" : "WHERE removed_at IS NULL")
            ORDER BY created_at DESC, id DESC
            """).map(decodeSuppression)
    }

    private static let suppressionColumns = "id, kind, value, reason, until, created_at, removed_at"

    private static func decodeSuppression(_ row: SQLRecord) -> Suppression {
        Suppression(id: row[0], kind: Suppression.Kind(rawValue: row[1]) ?? .email, value: row[2], reason: row[3],
                    until: (row[4] as String?).flatMap(Timestamp.parse), createdAt: Timestamp.parse(row[5]) ?? .distantPast,
                    removedAt: (row[6] as String?).flatMap(Timestamp.parse))
    }

    // MARK: - Kill switch

    /// The kill switch as it is now.
    public static func killSwitch(_ db: any SQLConnection) throws -> KillSwitch {
        let row = try SQLRecord.fetchOne(db, sql: "SELECT enabled, reason, changed_at FROM kill_switch WHERE id = 1")
        guard let row else { return KillSwitch(enabled: false, reason: nil, changedAt: nil) }
        return KillSwitch(enabled: row[0], reason: row[1], changedAt: (row[2] as String?).flatMap(Timestamp.parse))
    }

    /// Turns the kill switch on or off.
    public static func setKillSwitch(_ db: any SQLConnection, enabled: Bool, reason: String?, now: Date) throws {
        try db.execute(sql: "UPDATE kill_switch SET enabled = ?, reason = ?, changed_at = ? WHERE id = 1",
                       arguments: [enabled, reason, Timestamp.format(now)])
    }
}
