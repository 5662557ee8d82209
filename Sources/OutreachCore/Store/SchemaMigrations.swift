import Foundation
import GRDB

/// The schema migrations, embedded in the binary from the top-level `migrations/` folder.
///
/// `migrations/NNNN_name.sql` is the one copy of the schema. SwiftPM embeds each file
/// (through the `Store/Migrations` symlink), and this list names them in order; a test checks
/// that every file in the folder is listed here.
public enum SchemaMigrations {
    /// Identifier and SQL of every migration, oldest first.
    public static let all: [(identifier: String, sql: String)] = [
        ("0001_init", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_at_most_once", String(decoding: PackageResources._002_at_most_once_sql, as: UTF8.self)),
        ("0003_forget", String(decoding: PackageResources._003_forget_sql, as: UTF8.self)),
        ("0004_mailboxes", String(decoding: PackageResources._004_mailboxes_sql, as: UTF8.self)),
    ]

    /// The schema version this binary writes: the number of known migrations.
    public static var currentVersion: Int { all.count }

    /// A GRDB migrator with every migration registered.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
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

    static func read(_ db: Database) throws -> SchemaStatus {
        let migrator = SchemaMigrations.migrator()
        let appliedIDs = try migrator.appliedIdentifiers(db)
        let known = SchemaMigrations.all.map(\.identifier)
        return SchemaStatus(
            applied: known.filter(appliedIDs.contains),
            pending: known.filter { !appliedIDs.contains($0) },
            unknown: appliedIDs.filter { !known.contains($0) }.sorted())
    }
}
