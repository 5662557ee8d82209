import Foundation

/// `outreach db copy --to URL` (SPEC §13): a whole database into an empty one, SQLite to
/// PostgreSQL or back, rows and ids as they are, so `verify` gives the same answers on both.
///
/// The target is migrated first, then filled in one write transaction (all or nothing),
/// table by table in foreign-key order, from one read snapshot of the source. The database
/// facts (installation id, commit-order counter, clock guard, kill switch) are copied last,
/// so the counter continues where the source left it; on PostgreSQL the id sequences are
/// moved past the copied ids.
public enum DatabaseCopy {
    /// Tables with rows, parents before children.
    static let tables = [
        "campaigns", "campaign_approvals", "leases", "leads", "unsubscribes", "suppressions", "runs", "jobs", "job_messages",
        "decisions", "job_recoveries", "circuit_breakers", "events", "forgotten", "mailboxes", "mailbox_sends", "reputation_events",
    ]
    /// One-row tables every migrated database already has.
    static let facts = ["installation", "commit_sequence", "clock_guard", "kill_switch"]

    /// Rows copied, by table, in copy order.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)] = []
        public var total: Int { rows.reduce(0) { $0 + $1.count } }
    }

    /// Copies `source` into `target`, which must be migrated to the same version and hold no
    /// rows (exit 78 otherwise, with nothing written).
    public static func copy(from source: Store, to target: Store) throws -> Report {
        try target.migrate()
        return try source.read("reading \(source.location.description)") { from in
            try target.write("copying into \(target.location.description)") { to in
                try requireEmpty(to, target.location.description)
                var report = Report()
                for table in tables + facts {
                    if facts.contains(table) { try to.execute(sql: "DELETE FROM \(table)") }
                    report.rows.append((table, try copyTable(table, from: from, to: to)))
                }
                if to.dialect == .postgres { try advanceSequences(to) }
                return report
            }
        }
    }

    private static func requireEmpty(_ db: any SQLConnection, _ name: String) throws {
        for table in tables where try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM \(table) LIMIT 1) AS v") ?? 0 > 0 {
            throw OutreachError.configuration(
                "\(name) is not empty (its table \(table) has rows); `db copy` only fills an empty database. Nothing was copied.")
        }
    }

    private static func copyTable(_ table: String, from: any SQLConnection, to: any SQLConnection) throws -> Int {
        let columns = try self.columns(from, table)
        let targetColumns = try self.columns(to, table)
        guard Set(columns) == Set(targetColumns) else {
            throw OutreachError.configuration(
                "The two databases' \(table) tables differ (\(columns.joined(separator: ", ")) against \(targetColumns.joined(separator: ", "))); migrate both with the same outreach.")
        }
        let list = columns.joined(separator: ", ")
        let insert = "INSERT INTO \(table) (\(list)) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        var count = 0
        try from.forEach("SELECT \(list) FROM \(table) ORDER BY 1", []) { row in
            try to.execute(insert, (0..<Int32(columns.count)).map(row.value))
            count += 1
        }
        return count
    }

    /// The stored (not generated) columns of a table, in order.
    private static func columns(_ db: any SQLConnection, _ table: String) throws -> [String] {
        switch db.dialect {
        case .sqlite:
            // table_info leaves out generated columns (leads.domain).
            return try db.all("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(table)]) { $0.string(0) ?? "" }
        case .postgres:
            return try db.all("""
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position
                """, [.text(table)]) { $0.string(0) ?? "" }
        }
    }

    /// Moves each identity sequence past the largest copied id, so new rows do not collide.
    private static func advanceSequences(_ db: any SQLConnection) throws {
        for table in tables {
            guard let sequence = try String.fetchOne(db, sql: """
                SELECT pg_get_serial_sequence(table_name, 'id') FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id'
                """, arguments: [table]) else { continue }
            try db.execute(sql: "SELECT setval(?, max(id)) FROM \(table) HAVING max(id) IS NOT NULL", arguments: [sequence])
        }
    }
}
