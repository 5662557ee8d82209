import Foundation
import OutreachTestSupport

/// Runs the built `outreach` binary in a temporary folder, as a user would.
final class CLI: @unchecked Sendable {
    /// What one invocation did.
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let directory: URL
    var environment: [String: String]
    /// The database commands use when not told otherwise: `./outreach.sqlite` in the test
    /// folder, or in the PostgreSQL pass (`OUTREACH_TEST_BACKEND=postgres`) a fresh database on
    /// the test server, handed to every command through `OUTREACH_DB`.
    let database: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": directory.path,
            "OUTREACH_UNSUB_SECRET": "cli-test-secret",
        ]
        if TestDatabase.isPostgres {
            database = try PostgresTestServer.createDatabase()
            environment["OUTREACH_DB"] = database
        } else {
            database = directory.appendingPathComponent("outreach.sqlite").path
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The binary SwiftPM built next to the test bundle (or `$OUTREACH_BIN`).
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["OUTREACH_BIN"] { return path }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("outreach").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/outreach").path
    }()

    /// ` OUTREACH_DB=URL` for command lines run through a shell in the PostgreSQL pass;
    /// empty on SQLite, where `./outreach.sqlite` is the default.
    var shellDatabaseVariable: String { TestDatabase.isPostgres ? " OUTREACH_DB='\(database)'" : "" }

    /// Path of a file in the test folder.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes a file in the test folder.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Runs `outreach ARGS` in the test folder and waits for it.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, environment: extra)
        return process.wait()
    }

    /// Starts `outreach ARGS` without waiting.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment.merging(extra) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    /// A started invocation.
    final class Running: @unchecked Sendable {
        let process: Process
        private let outData = DataBox()
        private let errData = DataBox()

        init(process: Process, out: Pipe, err: Pipe) {
            self.process = process
            outData.read(out.fileHandleForReading)
            errData.read(err.fileHandleForReading)
        }

        func wait() -> Result {
            process.waitUntilExit()
            return Result(status: process.terminationStatus, stdout: outData.text(), stderr: errData.text())
        }
    }
}

/// Collects a pipe's output on a background queue.
final class DataBox: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    func read(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs a program to completion, feeding `input` on stdin; returns its status and output.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], input: String? = nil) throws -> CLI.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let output = DataBox()
    output.read(stdout.fileHandleForReading)
    let errors = DataBox()
    errors.read(stderr.fileHandleForReading)
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    process.waitUntilExit()
    return CLI.Result(status: process.terminationStatus, stdout: output.text(), stderr: errors.text())
}

/// Reads a test's database with its stock client, a real reader of what we wrote: `sqlite3`
/// for a file, `psql` (`-A -t -F'|'`, the same text) for a `postgres://` URL. Several
/// statements print one result after the other. The tests write `group_concat(x)` and
/// `group_concat(x, 'sep')`, which PostgreSQL spells `string_agg`; that is the one rewrite.
func query(_ database: String, _ sql: String) throws -> String {
    guard database.hasPrefix("postgres://") else { return try sqlite(database, sql) }
    return try queryScript(database, PortableSQL.postgres(sql))
}

/// Feeds a script to the database's stock client on stdin, as `sqlite3 DB < proof.sql` and
/// `psql URL < proof.sql` do.
func queryScript(_ database: String, _ script: String) throws -> String {
    guard database.hasPrefix("postgres://") else { return try sqliteScript(database, script) }
    let result = try runProcess("/usr/bin/psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", database], input: script)
    guard result.status == 0 else { throw CLIFailure(description: "psql failed: \(result.stderr)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Every row of every table, as text, for "nothing changed" checks: `.dump` on SQLite; on
/// PostgreSQL each table's rows in a fixed order (identity sequences left out: PostgreSQL
/// uses up a value even on an insert that ON CONFLICT skips, which changes no row).
func snapshot(_ database: String) throws -> String {
    guard database.hasPrefix("postgres://") else { return try sqliteScript(database, ".dump") }
    let tables = try query(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        .split(separator: "\n").map(String.init)
    return try tables.map { table in
        "-- \(table)\n" + (try query(database, "SELECT CAST(t AS TEXT) FROM \(table) t ORDER BY 1"))
    }.joined(separator: "\n")
}

/// The tests' SQL in PostgreSQL's spelling.
enum PortableSQL {
    private static let groupConcat = try! NSRegularExpression(pattern: #"group_concat\(\s*([A-Za-z_.]+)\s*(?:,\s*'([^']*)'\s*)?\)"#)

    static func postgres(_ sql: String) -> String {
        var out = sql
        for match in groupConcat.matches(in: sql, range: NSRange(sql.startIndex..., in: sql)).reversed() {
            let column = String(sql[Range(match.range(at: 1), in: sql)!])
            let separator = Range(match.range(at: 2), in: sql).map { String(sql[$0]) } ?? ","
            out.replaceSubrange(Range(match.range, in: out)!, with: "string_agg(CAST(\(column) AS TEXT), '\(separator)')")
        }
        return out.hasSuffix(";") ? out : out + ";"
    }
}

/// Reads a SQLite database with the stock `sqlite3` CLI (a real reader of what we wrote).
func sqlite(_ database: String, _ sql: String) throws -> String {
    try runProcess("/usr/bin/sqlite3", [database, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Feeds a script to the stock sqlite3 CLI on stdin, as `sqlite3 DB < proof.sql` does.
func sqliteScript(_ database: String, _ script: String) throws -> String {
    try runProcess("/usr/bin/sqlite3", [database], input: script).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A campaign file for CLI tests (every day, all day, proof transport unless told).
func campaignYAML(slug: String = "q4-launch", perTick: Int = 25, dailyQuota: Int = 200, transport: String = "{ kind: proof }",
                  window: String = "{ days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", end: \"24:00\" }",
                  extra: String = "") -> String {
    """
    slug: \(slug)
    name: CLI test
    timezone: UTC
    sender: { from: "Ada Lovelace <ada@example.com>", postal_address: "1 Main St, Springfield" }
    limits: { per_tick: \(perTick), daily_quota: \(dailyQuota), cooldown: 24h }
    window: \(window)
    transport: \(transport)
    unsubscribe: { url: "https://example.com/u/{{token}}", mailto: "unsubscribe@example.com", secret_env: OUTREACH_UNSUB_SECRET }
    \(extra)
    steps:
      - { id: intro, delay: 0h, subject: "Hello {{first_name}}", body: "Hi {{first_name}}." }
      - { id: followup1, delay: 72h, subject: "Again", body: "Hi again {{first_name}}." }
    """
}

/// A lead CSV with `count` leads `leadN@example.org`.
func leadsCSV(count: Int, domain: String = "example.org") -> String {
    "email,first_name\n" + (1...count).map { "lead\($0)@\(domain),Lead\($0)\n" }.joined()
}

extension CLI {
    /// migrate + campaign apply + leads import, asserting each succeeds.
    func setUpCampaign(yaml: String = campaignYAML(), leads: String = leadsCSV(count: 3)) throws {
        for arguments in [["migrate"], ["campaign", "apply", try write("campaign.yaml", yaml)],
                          ["leads", "import", "q4-launch", try write("leads.csv", leads)]] {
            let result = try run(arguments)
            guard result.status == 0 else {
                throw CLIFailure(description: "\(arguments) exited \(result.status): \(result.stderr)")
            }
        }
    }
}

/// The sendmail stand-in (`Fixtures/fake-sendmail`) wired to one CLI: its state folder, where
/// each message lands as `N.eml`, and the campaign's `transport:` value that runs it.
struct FakeSendmail {
    let folder: String
    let transport: String
}

extension CLI {
    /// Sets up the sendmail stand-in: scripted exit codes (one per invocation) and a sleep
    /// before it reads the message.
    func fakeSendmail(codes: [Int32] = [], sleep: Double? = nil) throws -> FakeSendmail {
        let folder = path("sendmail")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !codes.isEmpty {
            try codes.map(String.init).joined(separator: "\n").write(toFile: folder + "/codes", atomically: true, encoding: .utf8)
        }
        if let sleep { try String(sleep).write(toFile: folder + "/sleep", atomically: true, encoding: .utf8) }
        environment["FAKE_SENDMAIL_DIR"] = folder
        return FakeSendmail(folder: folder,
                            transport: "{ kind: sendmail, command: [\(Fixtures.fakeSendmail), -t, -oi], timeout: 60s, env: [FAKE_SENDMAIL_DIR] }")
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
}
