import Foundation
import GRDB

/// The schema migrations, embedded in the binary from the top-level `migrations/` folder.
///
/// `migrations/NNNN_name.sql` is the one copy of the SQLite schema, and
/// `migrations/postgres/NNNN_name.pg.sql` its PostgreSQL dialect, migration for migration
/// with the same identifiers, so both databases report the same schema version and
/// `db copy` can move rows between them. SwiftPM embeds each file (through the
/// `Store/Migrations` symlink), and these lists name them in order; a test checks that every
/// file in the folders is listed here.
public enum SchemaMigrations {
    /// Identifier and SQL of every migration, oldest first.
    public static let all: [(identifier: String, sql: String)] = [
        ("0001_init", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_at_most_once", String(decoding: PackageResources._002_at_most_once_sql, as: UTF8.self)),
        ("0003_forget", String(decoding: PackageResources._003_forget_sql, as: UTF8.self)),
        ("0004_mailboxes", String(decoding: PackageResources._004_mailboxes_sql, as: UTF8.self)),
        ("0005_cursor_indexes", String(decoding: PackageResources._005_cursor_indexes_sql, as: UTF8.self)),
    ]

    /// The same migrations in PostgreSQL's dialect.
    public static let postgres: [(identifier: String, sql: String)] = [
        ("0001_init", String(decoding: PackageResources._001_init_pg_sql, as: UTF8.self)),
        ("0002_at_most_once", String(decoding: PackageResources._002_at_most_once_pg_sql, as: UTF8.self)),
        ("0003_forget", String(decoding: PackageResources._003_forget_pg_sql, as: UTF8.self)),
        ("0004_mailboxes", String(decoding: PackageResources._004_mailboxes_pg_sql, as: UTF8.self)),
        ("0005_cursor_indexes", String(decoding: PackageResources._005_cursor_indexes_pg_sql, as: UTF8.self)),
    ]

    /// The schema version this binary writes: the number of known migrations.
    public static var currentVersion: Int { all.count }

    /// A GRDB migrator with every migration registered (SQLite).
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Applies the pending PostgreSQL migrations, one transaction each, recording them in the
    /// table GRDB's migrator uses on SQLite. Concurrent `migrate`s wait for each other on
    /// that table's lock. Returns the migrations applied.
    static func migrate(_ db: PostgresConnection) throws -> [String] {
        try db.executeScript("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        var applied: [String] = []
        for migration in postgres {
            try db.executeScript("BEGIN; LOCK TABLE grdb_migrations IN EXCLUSIVE MODE")
            do {
                if try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations WHERE identifier = ?",
                                       arguments: [migration.identifier]) == nil {
                    try db.executeScript(migration.sql)
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                    applied.append(migration.identifier)
                }
                try db.executeScript("COMMIT")
            } catch {
                try? db.executeScript("ROLLBACK")
                throw error
            }
        }
        return applied
    }
}

/// Where a database stands relative to this binary's migrations.
public struct SchemaStatus: Sendable, Equatable {
    /// Migrations applied, in order.
    public var applied: [String]
    /// Known migrations not yet applied.
    public var pending: [String]
    /// Applied migrations this binary does not know: the database is newer than the binary.
    public var unknown: [String]

    /// True when every known migration, and nothing else, has been applied.
    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }

    static func read(_ db: any SQLConnection) throws -> SchemaStatus {
        let exists = switch db.dialect {
        case .sqlite:
            try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'") ?? 0
        case .postgres:
            try Int.fetchOne(db, sql: "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'grdb_migrations'") ?? 0
        }
        let appliedIDs = exists > 0 ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") : []
        let known = SchemaMigrations.all.map(\.identifier)
        return SchemaStatus(
            applied: known.filter(appliedIDs.contains),
            pending: known.filter { !appliedIDs.contains($0) },
            unknown: appliedIDs.filter { !known.contains($0) }.sorted())
    }
}
