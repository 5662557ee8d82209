import ArgumentParser
import Foundation
import OutreachCore

/// `outreach serve`: the HTTP endpoint for one-click unsubscribes and provider webhooks
/// (SPEC §10). Checks its options and the database here, then replaces this process with
/// `outreach-serve`, installed beside `outreach`, which holds the server.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer one-click unsubscribes (/u/{token}), provider webhooks (/hooks/...), /healthz and /metrics.",
        discussion: """
            Listens on 127.0.0.1:8025 by default; put Caddy or nginx in front of it for TLS (see the README). \
            The campaigns' unsubscribe secrets must be in the environment, as for `tick`.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on (default 127.0.0.1:8025, or the file's `listen`).", valueName: "host:port"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("The webhook configuration (YAML, see the README).", valueName: "file.yaml"))
    var config: String?

    func run() throws {
        try ExitStatus.guarding {
            if let config { _ = try ServeConfiguration.load(path: config) }
            _ = try global.openStore()
            guard let server = CompanionExecutable.locate("outreach-serve", overrideVariable: "OUTREACH_SERVE") else {
                throw OutreachError.configuration("outreach-serve is not installed beside outreach; run `make install` (it installs both).")
            }
            var arguments = ["outreach-serve", "--db", global.databasePath,
                             "--log-format", global.resolvedLogFormatName,
                             "--log-level", global.verbose ? "debug" : global.quiet ? "warning" : "info"]
            if let listen { arguments += ["--listen", listen] }
            if let config { arguments += ["--config", config] }
            if let frozen = try global.clock() as? FixedClock { arguments += ["--now", Timestamp.format(frozen.now())] }
            let argv = arguments.map { strdup($0) } + [nil]
            execv(server, argv)
            throw OutreachError.configuration("cannot start \(server): \(String(cString: strerror(errno))).")
        }
    }
}
