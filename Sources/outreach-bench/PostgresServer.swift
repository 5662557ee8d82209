import Foundation
import OutreachCore

/// The PostgreSQL server of the benchmark: the test suite's throwaway server
/// (`Tests/outreachTests/Fixtures/pg-server`: loopback, a free port, fsync off), or one the
/// operator names with `--postgres URL`. Databases are made from templates, so every timed
/// run starts from the same rows without re-importing them.
final class PostgresServer {
    let url: String
    private let admin: RawPostgres
    private let stopFolder: String?
    private let script: String

    /// Starts a server, or connects to `url`. Nil (with the reason) when none can be had.
    static func start(url: String?, script: String, folder: String) throws -> Result<PostgresServer, BenchError> {
        if let url { return .success(try PostgresServer(url: url, script: script, stopFolder: nil)) }
        let log = folder + "/pg-server.out"
        let status = try spawn(script, ["start", folder + "/pg"], environment: ProcessInfo.processInfo.environment, output: log)
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        guard status.code == 0, let line = lines.last(where: { $0.hasPrefix("postgres://") }) else {
            return .failure(BenchError(lines.last(where: { $0.hasPrefix("SKIPPED") }) ?? "pg-server exited \(status.code)"))
        }
        return .success(try PostgresServer(url: line, script: script, stopFolder: folder + "/pg"))
    }

    private init(url: String, script: String, stopFolder: String?) throws {
        self.url = url
        self.script = script
        self.stopFolder = stopFolder
        admin = try RawPostgres(url: url)
    }

    /// Stops a server this benchmark started.
    func stop() {
        guard let stopFolder else { return }
        _ = try? spawn(script, ["stop", stopFolder], environment: ProcessInfo.processInfo.environment, output: "/dev/null")
    }

    /// The URL of database `name` on this server.
    func url(of name: String) -> String {
        guard let slash = url.range(of: "/", options: .backwards) else { return url }
        return url[..<slash.upperBound] + name
    }

    /// An empty database (C collation, as the README asks), replacing any of that name.
    func create(_ name: String, template: String? = nil) throws {
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        if let template {
            try admin.execute("CREATE DATABASE \(name) TEMPLATE \(template)")
        } else {
            try admin.execute("CREATE DATABASE \(name) TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
        }
    }

    func drop(_ name: String) {
        try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
