import Foundation

/// The statements of `leads import`'s hot path (`LeadUpsert`): one lookup and one insert or
/// update per row, each prepared once per connection and reused, run inside the import's one
/// transaction. The lookup and the insert, which most rows take, pass `SQLValue`s directly,
/// without boxing them as `SQLBindable`s.
enum ImportQueries {
    /// What an import compares a row with: the lead's details as stored.
    struct StoredDetails {
        let id: Int64
        let firstName: String?
        let lastName: String?
        let company: String?
        let timezone: String?
        /// The attributes as stored JSON (`{}` when none).
        let attributes: String
        let dnc: Bool
    }

    /// The details of the campaign's lead with this (normalized) address, or nil.
    static func details(_ db: any SQLConnection, campaignID: Int64, email: String) throws -> StoredDetails? {
        try db.first("""
            SELECT id, first_name, last_name, company, timezone, attributes, dnc FROM leads WHERE campaign_id = ? AND email = ?
            """, [.int(campaignID), .text(email)]) { found in
            StoredDetails(id: found.int64(0), firstName: found.string(1), lastName: found.string(2), company: found.string(3),
                          timezone: found.string(4), attributes: found.string(5) ?? "{}", dnc: found.int64(6) != 0)
        }
    }

    /// Inserts a new lead, due now (`stamp`) at its first step; `dncReason` goes with `row.dnc`.
    static func insertLead(_ db: any SQLConnection, campaignID: Int64, _ row: LeadRow, attributes: String, dncReason: String?,
                           stamp: String) throws {
        try db.execute("""
            INSERT INTO leads (campaign_id, email, first_name, last_name, company, timezone, attributes, dnc, dnc_at,
                dnc_reason, status, step_index, next_action_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 0, ?, ?, ?)
            """, [
                .int(campaignID), .text(row.email), .text(row.firstName), .text(row.lastName), .text(row.company),
                .text(row.timezone), .text(attributes), .bool(row.dnc), .text(row.dnc ? stamp : nil),
                .text(dncReason), .text(stamp), .text(stamp), .text(stamp),
            ])
    }

    /// Updates a lead's details and attributes, never its progress; with `setDNC` it also
    /// becomes do-not-contact (nothing here ever clears the flag).
    static func updateLead(_ db: any SQLConnection, id: Int64, _ row: LeadRow, attributes: String, setDNC: Bool, dncReason: String,
                           stamp: String) throws {
        try db.execute(sql: """
            UPDATE leads SET first_name = ?, last_name = ?, company = ?, timezone = ?, attributes = ?, updated_at = ?,
                dnc = CASE WHEN ? THEN 1 ELSE dnc END,
                dnc_at = CASE WHEN ? THEN ? ELSE dnc_at END,
                dnc_reason = CASE WHEN ? THEN ? ELSE dnc_reason END
            WHERE id = ?
            """, arguments: [
            row.firstName, row.lastName, row.company, row.timezone, attributes, stamp,
            setDNC, setDNC, stamp, setDNC, dncReason, id,
        ])
    }
}
