import ArgumentParser
import Foundation
import Logging
import OutreachCore

/// `outreach tick (SLUG... | --all)`: the job cron runs every five minutes.
struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tick",
        abstract: "Run one tick: lease, gates, compliance, quotas, idempotent jobs, dispatch (proof by default).",
        discussion: """
            Exit 0 also when nothing was due, the campaign is paused, the kill switch is on or the window is closed. \
            Exit 75 when the campaign's lease is held by another process (with several campaigns: when every one was busy), \
            or when a run lost its lease mid-way. Exit 70 when --artifacts was given and a proof check found a violation.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Campaign slugs.") var slugs: [String] = []
    @Flag(help: "Tick every active campaign, each with its own lease.") var all = false
    @OptionGroup var options: TickOptions

    func validate() throws {
        if all == !slugs.isEmpty { throw ValidationError("Name campaigns, or pass --all, but not both.") }
    }

    func run() throws {
        try ExitStatus.guarding {
            let session = try TickSession(global: global, options: options, stopFlag: SignalTrap.install())
            try session.tick(slugs: all ? nil : slugs).throwIfFailed()
        }
    }
}

/// `outreach run SLUG... [--interval-seconds S] [--ticks N]`: repeated ticks without cron.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Tick repeatedly, for manual runs without cron.",
        discussion: "SIGINT or SIGTERM finishes the current lead, records the run as stopped, releases the lease and exits 0.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Campaign slugs.") var slugs: [String]
    @OptionGroup var options: TickOptions
    @Option(help: "Seconds between the start of one round of ticks and the next.") var intervalSeconds: Double = 300
    @Option(help: "Stop after N rounds (default: until a signal).") var ticks: Int?

    func validate() throws {
        if slugs.isEmpty { throw ValidationError("Name at least one campaign.") }
        if !(0...86_400).contains(intervalSeconds) { throw ValidationError("--interval-seconds must be between 0 and 86400.") }
        if let ticks, !(1...OptionBounds.maxCount).contains(ticks) {
            throw ValidationError("--ticks must be between 1 and \(OptionBounds.maxCount).")
        }
    }

    func run() throws {
        try ExitStatus.guarding {
            let stopFlag = SignalTrap.install()
            let session = try TickSession(global: global, options: options, stopFlag: stopFlag)
            var round = 0
            var last = TickSession.Outcome()
            while !stopFlag.isSet {
                let started = Date()
                last = try session.tick(slugs: slugs)
                if let failure = last.failure, failure.category == .configuration || failure.category == .badInput { throw failure }
                round += 1
                if let ticks, round >= ticks { break }
                let rest = intervalSeconds - Date().timeIntervalSince(started)
                if rest > 0, stopFlag.wait(seconds: rest) { break }
            }
            if stopFlag.isSet { session.logger.info("stopped by a signal; leases released") }
        }
    }
}

/// The options `tick` and `run` share.
struct TickOptions: ParsableArguments {
    @Option(help: "proof (record only) or live (send).") var mode: DispatchMode = .proof
    @Flag(help: "Compute and report everything, then roll every database change back.") var dryRun = false
    @Option(help: "Dispatch at most N per tick (never more than the campaign's per_tick).") var limit: Int?
    @Option(help: "Lease length in seconds; renewed before half of it passes.") var leaseSeconds: Int = 300
    @Option(help: "Export the proof artifacts of each run that considered a lead to DIR/<slug>/<run-id>/.") var artifacts: String?
    @Flag(help: "With --artifacts: write a run's folder even when it considered no lead.") var artifactsAlways = false
    @Option(help: "Write Prometheus metrics for every campaign to FILE (atomically) after ticking.") var metricsFile: String?

    func validate() throws {
        if let limit, !(0...OptionBounds.maxCount).contains(limit) {
            throw ValidationError("--limit must be between 0 and \(OptionBounds.maxCount).")
        }
        if artifactsAlways && artifacts == nil { throw ValidationError("--artifacts-always needs --artifacts DIR.") }
        if !(1...86_400).contains(leaseSeconds) { throw ValidationError("--lease-seconds must be between 1 and 86400 (one day).") }
    }
}

/// The documented bounds of numeric options (SPEC §9.9), the same as the campaign file's.
enum OptionBounds {
    static let maxCount = CampaignFile.Bounds.maxCount
}

/// Ticks campaigns one after the other, each with its own lease, then writes the metrics.
struct TickSession {
    /// How a round of ticks went.
    struct Outcome {
        var ticked = 0
        var busy: [OutreachError] = []
        var failure: OutreachError?
        /// Runs that lost their lease mid-way (another process took the campaign over).
        var leaseLost: [OutreachError] = []
        /// Runs whose proof checks found a violation.
        var violations: [OutreachError] = []

        /// The first failure's code; then 70 for a proof violation, 75 for a lost lease, and 75
        /// when every campaign was busy.
        func throwIfFailed() throws {
            if let failure { throw failure }
            if let first = violations.first { throw first }
            if let first = leaseLost.first { throw first }
            if ticked == 0, let first = busy.first {
                throw busy.count == 1 ? first : OutreachError.temporary("Every campaign was being ticked by another process; nothing was done.")
            }
        }
    }

    let global: GlobalOptions
    let options: TickOptions
    let store: Store
    let clock: any WallClock
    let logger: Logger
    let dependencies: TickDependencies

    init(global: GlobalOptions, options: TickOptions, stopFlag: StopFlag) throws {
        self.global = global
        self.options = options
        store = try global.openStore(durability: options.mode == .live ? .full : .normal)
        clock = try global.clock()
        logger = try global.logger()
        let secrets = global.secrets
        let environment = ProcessInfo.processInfo.environment
        // No child ever sees a variable that any campaign names as a secret (SPEC §9.3). Read
        // here, outside the tick's transactions, and only for live ticks (proof ticks start no child).
        let forbidden = options.mode == .proof ? [] : try store.campaignSecretNames()
        dependencies = TickDependencies(
            clock: clock, secrets: secrets, owner: LeaseOwner.make(),
            makeTransport: { campaign in
                try TransportFactory.make(campaign.transport, secrets: secrets, environment: environment,
                                          forbidden: forbidden.union(TransportFactory.secretVariables(of: campaign)))
            },
            logger: logger, stopFlag: stopFlag)
    }

    /// Ticks the named campaigns, or every active one when `slugs` is nil.
    ///
    /// With every campaign (`--all`) in live mode, a campaign whose current version is not
    /// approved is passed over with a warning (and `outreach_campaign_approved 0` in the
    /// metrics): one draft must not fail the cron job every five minutes (SPEC §14). Named
    /// explicitly, it still exits 78 and records a stopped run.
    func tick(slugs: [String]?) throws -> Outcome {
        var targets: [String]
        if let slugs {
            targets = slugs
        } else {
            let active = try store.campaigns().filter { $0.status == .active }
            targets = active.map(\.slug)
            if options.mode == .live, !options.dryRun {
                for stored in active where !stored.isApproved {
                    logger.warning("passed over: campaign \(stored.slug) is not approved for live sending in its current version; run `outreach campaign approve \(stored.slug) --by NAME` to include it",
                                   metadata: ["campaign": .string(stored.slug)])
                }
                targets = active.filter(\.isApproved).map(\.slug)
            }
        }
        var outcome = Outcome()
        for slug in targets {
            do {
                try tickOne(slug)
                outcome.ticked += 1
            } catch let error as OutreachError where error.category == .proofViolation {
                outcome.ticked += 1
                outcome.violations.append(error)
                logger.error("\(error.message)", metadata: ["campaign": .string(slug)])
            } catch let error as TickLeaseLost {
                outcome.ticked += 1
                outcome.leaseLost.append(error.error)
                logger.error("\(error.error.message)", metadata: ["campaign": .string(slug)])
            } catch let error as OutreachError where targets.count > 1 {
                // One campaign's trouble does not stop the others; the exit code reports it.
                if error.category == .temporary {
                    outcome.busy.append(error)
                    logger.warning("\(error.message)", metadata: ["campaign": .string(slug)])
                } else {
                    logger.error("\(error.message)", metadata: ["campaign": .string(slug)])
                    outcome.failure = outcome.failure ?? error
                }
            } catch let error as OutreachError where error.category == .temporary {
                outcome.busy.append(error)
            }
            if dependencies.stopFlag?.isSet == true { break }
        }
        if let path = options.metricsFile {
            try store.writeMetrics(to: path, now: clock.now())
        }
        return outcome
    }

    private func tickOne(_ slug: String) throws {
        let request = TickRequest(slug: slug, mode: options.mode, dryRun: options.dryRun, limit: options.limit,
                                  leaseSeconds: options.leaseSeconds)
        let tick = Tick(request: request, dependencies: dependencies)
        // A dry run rolls everything back; its artifacts are exported before that (`Tick.run`).
        let (report, exported) = try tick.run(
            store: store, artifacts: options.artifacts.map { TickArtifacts(root: $0, always: options.artifactsAlways) })
        output(report.summaryLine, report.fields)
        if let exported {
            output("  artifacts: \(exported.directory)/" + (exported.checksPassed ? "" : " (SOME PROOF CHECKS FAIL)"),
                   [("campaign", .string(slug)), ("run_id", .string(report.runID)), ("artifacts", .string(exported.directory)),
                    ("checks_passed", .bool(exported.checksPassed))])
        }
        if let failure = report.failure { throw failure }
        if report.status == .leaseLost {
            throw TickLeaseLost(error: .temporary(
                "Campaign \(slug): run \(report.runID) lost its lease to another process and stopped without further writes; the other run goes on. Nothing needs doing unless this repeats (then raise --lease-seconds)."))
        }
        if let exported, !exported.checksPassed {
            throw OutreachError.proofViolation(
                "Campaign \(slug): a proof check of run \(report.runID) found a violation; see \(exported.directory)/summary.md and run `outreach verify \(slug)`.")
        }
    }
}

/// A run that ended `lease_lost` (exit 75, SPEC §9.10), told apart from a busy lease.
struct TickLeaseLost: Error {
    let error: OutreachError
}

/// Turns SIGINT, SIGTERM and SIGHUP (a closed terminal or an ssh session that ended) into a
/// `StopFlag`: the running tick finishes its current lead, records the run as stopped,
/// releases the lease and exits 0.
enum SignalTrap {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() -> StopFlag {
        let flag = StopFlag()
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { flag.set() }
            source.resume()
            sources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
        return flag
    }
}
