// outreach-serve: the HTTP endpoint of `outreach serve` (SPEC §10). `outreach serve` checks
// its options and replaces itself with this program, so the cron tick's binary links
// neither the server nor OpenSSL nor FoundationNetworking.
//
// Arguments (as `outreach serve` passes them): --db PATH [--listen HOST:PORT] [--config FILE]
// [--now TIME] [--log-format text|json] [--log-level debug|info|warning].
import Foundation
import Logging
import OutreachCore
import OutreachServe

signal(SIGPIPE, SIG_IGN)

var options: [String: String] = [:]
var arguments = Array(CommandLine.arguments.dropFirst())[...]
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else {
        StandardStreams.err("outreach-serve: run it through `outreach serve` (see `outreach serve --help`).\n")
        exit(64)
    }
    options[String(name.dropFirst(2))] = value
}
let format = StderrLogHandler.Format(rawValue: options["log-format"] ?? "text") ?? .text
let clock: any WallClock = options["now"].flatMap(Timestamp.parse).map { FixedClock($0) } ?? SystemClock()
let level = Logger.Level(rawValue: options["log-level"] ?? "info") ?? .info
let logger = Logger(label: "outreach-serve") { _ in StderrLogHandler(format: format, clock: clock, logLevel: level) }

/// Prints one error the way `outreach` does, and exits with its code.
func fail(_ error: OutreachError) -> Never {
    let code = error.category.exitCode
    StandardStreams.err(ConsoleLine.error(error.message, exitCode: code, format: format, now: clock.now()))
    exit(code)
}

do {
    guard let path = options["db"] else { throw OutreachError.usage("outreach-serve needs --db; run it through `outreach serve`.") }
    let configuration = try options["config"].map(ServeConfiguration.load(path:)) ?? ServeConfiguration()
    let store = try Store.open(path: path, lockWait: .polling)
    let secrets = SecretEnvironment(ProcessInfo.processInfo.environment)
    let fetcher = HTTPSFetcher()
    let hooks = WebhookRoutes(
        verifiers: try WebhookRoutes.verifiers(configuration, secrets: secrets, fetcher: fetcher),
        confirmSubscriptions: configuration.ses?.confirmSubscriptions ?? false, fetcher: fetcher,
        store: store, clock: clock, logger: logger)
    let app = ServeApp(store: store, clock: clock, secrets: secrets, hooks: hooks, logger: logger)
    for slug in try app.campaignsWithoutSecret() {
        logger.warning("the unsubscribe secret of this campaign is not set here: its links will answer 404 until it is exported",
                       metadata: ["campaign": .string(slug)])
    }
    let listen = options["listen"] ?? configuration.listen ?? "127.0.0.1:8025"
    let server = try HTTPServer(listen: listen) { request in app.handle(request) }
    logger.info("outreach serve listening", metadata: [
        "address": .string(server.address), "hooks": .string(hooks.providers.joined(separator: ",")),
    ])
    server.run()
} catch let error as OutreachError {
    fail(error)
} catch {
    fail(.unexpected("Unexpected error: \(error). Please report it with the command you ran."))
}
