import Foundation

/// Which database the shared suites run on, and where a test gets a fresh one.
///
/// `make test` runs the store suite and the CLI end-to-end suites twice, as River runs one
/// suite over every driver: on SQLite, then with `OUTREACH_TEST_BACKEND=postgres` against a
/// real PostgreSQL server started for the run (`Tests/outreachTests/Fixtures/pg-server`).
public enum TestDatabase {
    /// True in the PostgreSQL pass.
    public static let isPostgres = ProcessInfo.processInfo.environment["OUTREACH_TEST_BACKEND"] == "postgres"

    /// A fresh, empty database for one test: `directory/name` on SQLite, a new database on
    /// PostgreSQL.
    public static func fresh(in directory: URL, name: String = "test.sqlite") throws -> String {
        isPostgres ? try PostgresTestServer.createDatabase() : directory.appendingPathComponent(name).path
    }
}

/// A real PostgreSQL server for this test process: the one the Makefile started
/// (`OUTREACH_TEST_POSTGRES_URL`), else one started on first use through `pg-server` into a
/// temporary folder on 127.0.0.1 and stopped when the process exits.
public enum PostgresTestServer {
    private static let state: (url: String?, reason: String?) = start()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var databases = 0

    /// The server's URL (its `postgres` database), or nil when none could be started.
    public static var url: String? { state.url }

    /// Why there is no server (printed as `SKIPPED: …` by the script).
    public static var unavailableReason: String { state.reason ?? "" }

    /// True when a server runs (starting it on first use).
    public static var isAvailable: Bool { state.url != nil }

    /// The `pg-server` script.
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("outreachTests/Fixtures/pg-server").path

    /// Creates an empty database (C collation, as the README advises) and returns its URL.
    public static func createDatabase() throws -> String {
        guard let url = state.url else { throw SkipError(reason: unavailableReason) }
        let name = lock.withLock { () -> String in
            databases += 1
            return "t\(getpid())_\(databases)"
        }
        let result = try psql(url, "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        guard result.status == 0 else { throw SkipError(reason: "CREATE DATABASE failed: \(result.output)") }
        return String(url[..<url.lastIndex(of: "/")!]) + "/\(name)"
    }

    /// Runs SQL through the stock `psql` client; output as `psql -X -A -t -F'|'` prints it.
    public static func psql(_ url: String, _ sql: String) throws -> (status: Int32, output: String) {
        try run("/usr/bin/psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql, url])
    }

    private static func start() -> (String?, String?) {
        if let url = ProcessInfo.processInfo.environment["OUTREACH_TEST_POSTGRES_URL"], !url.isEmpty { return (url, nil) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-pg-\(getpid())").path
        guard let result = try? run(script, ["start", directory]) else { return (nil, "cannot run \(script)") }
        let line = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, line.hasPrefix("postgres://") else {
            print(line.hasPrefix("SKIPPED") ? line : "SKIPPED: \(line)")
            return (nil, line)
        }
        startedDirectory = directory
        atexit {
            guard let directory = PostgresTestServer.startedDirectory else { return }
            _ = try? PostgresTestServer.run(PostgresTestServer.script, ["stop", directory])
        }
        return (line, nil)
    }

    nonisolated(unsafe) private static var startedDirectory: String?

    /// Runs a command to its end with `posix_spawn` and `waitpid`, output through a file.
    /// Not Foundation's `Process`: the server `pg-server start` leaves running inherits the
    /// descriptors Foundation leaves open in the child, and `Process` then never sees the
    /// script end (neither end-of-file on its pipe nor its exit).
    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let command = "exec \(quoted) </dev/null >'\(output)' 2>&1"
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard spawned == 0 else { return (127, "cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
    }
}

/// Thrown when a test needs PostgreSQL and there is none.
public struct SkipError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "SKIPPED: no PostgreSQL server (\(reason))" }
}
