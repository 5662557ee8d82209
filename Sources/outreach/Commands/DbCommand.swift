import ArgumentParser
import Foundation
import OutreachCore

/// `outreach db copy --to URL`: moves a whole database between SQLite and PostgreSQL.
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Move a whole database between SQLite and PostgreSQL.",
        subcommands: [Copy.self])

    /// `outreach db copy --to URL`
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy the --db database into an empty one (SQLite file or postgres:// URL), in one transaction.",
            discussion: "The target is migrated first and must hold no rows (exit 78 otherwise); ids, commit order and the installation id are kept, so `verify` answers the same on both sides.")

        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("The empty target: a SQLite file or a postgres:// URL.", valueName: "path|url"))
        var to: String

        func run() throws {
            try ExitStatus.guarding {
                let source = try global.openStore()
                guard (try? DatabaseLocation(to)) != source.location else {
                    throw OutreachError.usage("--to names the --db database itself; give an empty database to copy into.")
                }
                let target = try Store.connect(path: to)
                let report = try DatabaseCopy.copy(from: source, to: target)
                let tables = report.rows.filter { $0.count > 0 }.map { "\($0.table) \($0.count)" }.joined(separator: ", ")
                output("Copied \(source.location.description) to \(to): \(report.total) rows (\(tables)).\n",
                       [("rows", .int(Int64(report.total)))])
            }
        }
    }
}
