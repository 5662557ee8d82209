import ArgumentParser
import Foundation
import OutreachCore

/// `outreach tick (SLUG... | --all)`: the job cron runs every five minutes.
struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tick",
        abstract: "Run one tick: lease, gates, compliance, quotas, idempotent jobs, dispatch (proof by default).",
        discussion: """
            Exit 0 also when nothing was due, the campaign is paused, the kill switch is on or the window is closed. \
            Exit 75 when the campaign's lease is held by another process (with --all: when every campaign was busy).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Campaign slugs.") var slugs: [String] = []
    @Flag(help: "Tick every active campaign.") var all = false
    @Option(help: "proof (record only) or live (send).") var mode: DispatchMode = .proof
    @Flag(help: "Compute and report everything, then roll every database change back.") var dryRun = false
    @Option(help: "Dispatch at most N in this tick (never more than the campaign's per_tick).") var limit: Int?
    @Option(help: "Lease length in seconds; renewed before half of it passes.") var leaseSeconds: Int = 300
    @Option(help: "Export this run's proof artifacts to DIR/<slug>/<run-id>/.") var artifacts: String?

    func validate() throws {
        if all == !slugs.isEmpty { throw ValidationError("Name campaigns, or pass --all, but not both.") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more.") }
        if leaseSeconds < 1 { throw ValidationError("--lease-seconds must be at least 1.") }
    }

    func run() throws {
        try ExitStatus.guarding {
            let store = try global.openStore(durability: mode == .live ? .full : .normal)
            let clock = try global.clock()
            let logger = try global.logger()
            let stopFlag = SignalTrap.install()
            let targets = try all
                ? store.read("listing campaigns") { db in try CampaignQueries.all(db).filter { $0.status == .active }.map(\.slug) }
                : slugs
            let dependencies = TickDependencies(
                clock: clock, secrets: global.secrets, owner: LeaseOwner.make(),
                makeTransport: { campaign in
                    try TransportFactory.make(campaign.transport, secrets: global.secrets,
                                              hiddenVariables: TransportFactory.secretVariables(of: campaign))
                },
                logger: logger, stopFlag: stopFlag)
            var busy = 0
            var firstFailure: OutreachError?
            for slug in targets {
                let request = TickRequest(slug: slug, mode: mode, dryRun: dryRun, limit: limit, leaseSeconds: leaseSeconds)
                do {
                    let tick = Tick(request: request, dependencies: dependencies)
                    var exported: ProofArtifacts.Written?
                    let report = try store.withTransactions(rollback: dryRun, "ticking \(slug)") { scope in
                        let report = try tick.run(in: scope)
                        if let artifacts, report.status != .leaseLost {
                            exported = try scope.read("exporting the artifacts of \(slug)") { db in
                                try ProofArtifacts.export(db, campaign: try CampaignQueries.require(db, slug: slug),
                                                          runID: report.runID, root: artifacts)
                            }
                        }
                        return report
                    }
                    output(report.summaryLine + "\n")
                    if let exported {
                        output("  artifacts: \(exported.directory)/" + (exported.checksPassed ? "" : " (SOME PROOF CHECKS FAIL)") + "\n")
                    }
                    if let failure = report.failure { throw failure }
                } catch let error as OutreachError where targets.count > 1 {
                    // One campaign's trouble does not stop the others; the exit code reports it.
                    if error.category == .temporary {
                        busy += 1
                        logger.warning("\(error.message)", metadata: ["campaign": .string(slug)])
                    } else {
                        logger.error("\(error.message)", metadata: ["campaign": .string(slug)])
                        firstFailure = firstFailure ?? error
                    }
                }
                if stopFlag.isSet { break }
            }
            if let firstFailure { throw firstFailure }
            if !targets.isEmpty, busy == targets.count {
                throw OutreachError.temporary("Every campaign was being ticked by another process; nothing was done.")
            }
        }
    }
}

/// Turns SIGINT and SIGTERM into a `StopFlag`: the running tick finishes its current lead,
/// records the run as stopped, releases the lease and exits 0.
enum SignalTrap {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() -> StopFlag {
        let flag = StopFlag()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { flag.set() }
            source.resume()
            sources.append(source)
        }
        return flag
    }
}
