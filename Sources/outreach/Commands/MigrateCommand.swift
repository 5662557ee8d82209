import ArgumentParser
import Foundation
import OutreachCore

/// `outreach migrate [--status]`
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the database or apply pending migrations (idempotent, transactional).",
        discussion: "With --status, lists applied and pending migrations and exits 78 when some are pending.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show the migration status instead of migrating.")
    var status = false
    @OptionGroup var format: FormatOptions

    func run() throws {
        try ExitStatus.guarding {
            let path = global.databasePath
            let isFile = try DatabaseLocation(path).dialect == .sqlite
            if status {
                guard !isFile || FileManager.default.fileExists(atPath: path) else {
                    throw OutreachError.configuration("There is no database at \(path); run `outreach migrate --db \(path)` to create it.")
                }
                let schema = try Store.connect(path: path).schemaStatus()
                var listing = Listing(columns: ["migration", "state"])
                for id in schema.applied { listing.append([.string(id), .string("applied")]) }
                for id in schema.pending { listing.append([.string(id), .string("pending")]) }
                for id in schema.unknown { listing.append([.string(id), .string("unknown (newer than this outreach)")]) }
                Console.listing(listing, format.format)
                if !schema.unknown.isEmpty {
                    throw OutreachError.configuration("The database \(path) is newer than this outreach; upgrade outreach.")
                }
                if !schema.pending.isEmpty {
                    throw OutreachError.configuration("\(schema.pending.count) migration(s) pending; run `outreach migrate --db \(path)`.")
                }
                return
            }
            let directory = (path as NSString).deletingLastPathComponent
            if isFile, !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                throw OutreachError.cannotCreateOutput("The folder \(directory) does not exist; create it or choose another --db path.")
            }
            let applied = try Store.connect(path: path).migrate()
            if applied.isEmpty {
                output("\(path) is up to date (schema version \(SchemaMigrations.currentVersion)).\n")
            } else {
                output("Migrated \(path): applied \(applied.joined(separator: ", ")) (schema version \(SchemaMigrations.currentVersion)).\n")
            }
        }
    }
}
