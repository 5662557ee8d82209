import ArgumentParser
import Foundation
import Logging
import OutreachCore

/// The options every subcommand takes (SPEC §2), with their environment variables.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite file or postgres:// URL (env OUTREACH_DB).", valueName: "path|url"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Frozen 'now' for this invocation, ISO 8601 (env OUTREACH_NOW).", valueName: "time"))
    var now: String?

    @Option(name: .long, help: ArgumentHelp("Log lines on stderr: text or json (env OUTREACH_LOG_FORMAT).", valueName: "format"))
    var logFormat: String?

    @Flag(name: .shortAndLong, help: "Only warnings and errors in the log.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Debug details in the log, one line per decision.")
    var verbose = false

    /// Read once: `ProcessInfo.environment` builds a new dictionary on every call.
    private static let environment = ProcessInfo.processInfo.environment
    private var environment: [String: String] { Self.environment }

    func validate() throws {
        _ = try clock()
        _ = try resolvedLogFormat()
        if quiet && verbose { throw ValidationError("Use either --quiet or --verbose, not both.") }
    }

    /// The database: `--db`, else `OUTREACH_DB`, else `./outreach.sqlite`; a file path or a
    /// `postgres://` URL (SPEC §13).
    var databasePath: String {
        if let db, !db.isEmpty { return db }
        if let path = environment["OUTREACH_DB"], !path.isEmpty { return path }
        return "./outreach.sqlite"
    }

    /// The clock: frozen at `--now`/`OUTREACH_NOW`, else the system clock.
    func clock() throws -> any WallClock {
        let source = now.map { ("--now", $0) } ?? environment["OUTREACH_NOW"].flatMap { $0.isEmpty ? nil : ("OUTREACH_NOW", $0) }
        guard let (name, text) = source else { return SystemClock() }
        guard let instant = Timestamp.parse(text) else {
            throw ValidationError("\(name) '\(text)' is not an ISO 8601 time; write it like 2026-11-21T14:05:00Z.")
        }
        return FixedClock(instant)
    }

    private func resolvedLogFormat() throws -> StderrLogHandler.Format {
        let text = logFormat ?? environment["OUTREACH_LOG_FORMAT"].flatMap { $0.isEmpty ? nil : $0 } ?? "text"
        guard let format = StderrLogHandler.Format(rawValue: text) else {
            throw ValidationError("--log-format must be text or json, not '\(text)'.")
        }
        return format
    }

    /// `text` or `json`, as resolved from the option and the environment.
    var resolvedLogFormatName: String { ((try? resolvedLogFormat()) ?? .text).rawValue }

    /// The logger for this invocation.
    func logger() throws -> Logger {
        let format = try resolvedLogFormat()
        let level: Logger.Level = verbose ? .debug : quiet ? .warning : .info
        let clock = try clock()
        return Logger(label: "outreach") { _ in StderrLogHandler(format: format, clock: clock, logLevel: level) }
    }

    /// Opens the migrated database (refusing a missing or un-migrated one, exit 78).
    /// `writing`: the command will change the database, so a clock that went backwards
    /// is refused first (SPEC §9.7, exit 78); this check itself writes nothing.
    func openStore(durability: Store.Durability = .normal, writing: Bool = false) throws -> Store {
        let store = try Store.open(path: databasePath, durability: durability)
        if writing {
            let now = try clock().now()
            try store.checkClock(now: now)
        }
        return store
    }

    /// The secrets the campaign file names, read from this process's environment.
    var secrets: SecretEnvironment { SecretEnvironment(environment) }
}

/// `--format table|csv|json` for listing commands.
struct FormatOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, csv or json.")
    var format: Listing.Format = .table
}

extension Listing.Format: ExpressibleByArgument {}
extension DispatchMode: ExpressibleByArgument {}

/// Prints a result (stdout; logs go to stderr), as a JSON line under `--log-format json`.
func output(_ text: String, _ fields: [(String, JSONText.Value)] = []) {
    Console.result(text, fields)
}
