import Foundation
import OutreachCore

/// Sections 7 and 8 of the table (SPEC §13): the proof tick on PostgreSQL against the same
/// statements sent raw through the same client, and the total throughput of 1, 2, 4 and 8
/// host processes ticking 8 campaigns of one database at once.
struct PostgresBench {
    let options: Options
    let work: Workload
    let server: PostgresServer
    let note: (String) -> Void

    func rows() throws -> [ResultRow] {
        try tickAgainstRaw() + hosts()
    }

    // MARK: 7. The tick against the storage limit.

    private func tickAgainstRaw() throws -> [ResultRow] {
        note("7. PostgreSQL: a campaign of \(grouped(Double(options.leads))) leads")
        try server.create("bench_main")
        _ = try work.populate(server.url(of: "bench_main"), campaigns: [(slug: "bench", leads: options.leads, prefix: "lead")])
        var tickRates: [Double] = []
        var rawRates: [[Double]] = [[], []]
        var tickKB: [Double] = []
        var exportKB: [Double] = []
        for run in 1...options.runs {
            note("7. PostgreSQL tick of \(grouped(Double(options.leads))) leads, run \(run)")
            try server.create("bench_tick", template: "bench_main")
            let url = server.url(of: "bench_tick")
            let sample = try measure(work.outreach, ["tick", "bench", "--db", url, "--now", Workload.now],
                                     environment: work.environment, log: options.folder + "/outreach.log", memory: true)
            tickKB.append(Double(sample.peakKB))
            let out = options.folder + "/pg-artifacts"
            try? FileManager.default.removeItem(atPath: out)
            exportKB.append(Double(try measure(work.outreach, ["export", "bench", "--latest", "--out", out, "--db", url],
                                               environment: work.environment, log: options.folder + "/outreach.log", memory: true).peakKB))
            try? FileManager.default.removeItem(atPath: out)
            let check = try RawPostgres(url: url)
            let decided = try check.count("SELECT count(*) FROM decisions")
            guard decided == options.leads else { throw BenchError("the PostgreSQL tick decided \(decided) of \(options.leads) leads") }
            let messageLength = try check.count("SELECT coalesce(avg(length(message)), 0)::bigint FROM job_messages")
            tickRates.append(Double(options.leads) / sample.seconds)

            let message = String(repeating: "m", count: messageLength)
            for (commitEvery, index) in [(nil, 0), (500, 1)] as [(Int?, Int)] {
                try server.create("bench_raw", template: "bench_main")
                let raw = try RawPostgres(url: server.url(of: "bench_raw"))
                var processed = 0
                let seconds = try time {
                    processed = try raw.tick(now: Workload.now, runID: "raw-\(run)", message: message, commitEvery: commitEvery)
                }
                guard processed == options.leads else {
                    throw BenchError("the raw PostgreSQL baseline processed \(processed) of \(options.leads) leads")
                }
                rawRates[index].append(Double(processed) / seconds)
            }
        }
        server.drop("bench_tick")
        server.drop("bench_raw")
        server.drop("bench_main")
        // The storage limit is the faster of the two baselines. In one transaction PostgreSQL
        // keeps every version of the commit counter's row that transaction wrote, and each
        // later read of the row walks them, so one transaction can be the slower way.
        let limit = max(Spread(rawRates[0]).median, Spread(rawRates[1]).median)
        let ratio = Spread(tickRates).median / limit
        return [
            ResultRow(measure: "7. PostgreSQL proof tick, \(grouped(Double(options.leads))) leads (leads/s)", value: Spread(tickRates).text(grouped),
                      goal: "", pass: nil),
            ResultRow(measure: "7. raw libpq, same statements, one transaction (leads/s)", value: Spread(rawRates[0]).text(grouped),
                      goal: "", pass: nil),
            ResultRow(measure: "7. raw libpq, same statements, a commit every 500 leads (leads/s)", value: Spread(rawRates[1]).text(grouped),
                      goal: "", pass: nil),
            ResultRow(measure: "7. tick ÷ the faster raw", value: String(format: "%.2f", ratio), goal: "≥ 0.5", pass: ratio >= 0.5),
            ResultRow(measure: "7. peak RSS, that PostgreSQL tick", value: Spread(tickKB).text(megabytes), goal: "< 100 MB",
                      pass: Spread(tickKB).max < 100 * 1024),
            ResultRow(measure: "7. peak RSS, exporting its artifacts (rows streamed)", value: Spread(exportKB).text(megabytes), goal: "< 100 MB",
                      pass: Spread(exportKB).max < 100 * 1024),
        ]
    }

    // MARK: 8. Many hosts.

    private let megabytes: (Double) -> String = { String(format: "%.1f MB", $0 / 1024) }

    static let campaigns = 8
    static let perTick = 1_000

    private func hosts() throws -> [ResultRow] {
        let perCampaign = max(Self.perTick, options.leads / Self.campaigns)
        let total = perCampaign * Self.campaigns
        note("8. PostgreSQL: \(Self.campaigns) campaigns of \(grouped(Double(perCampaign))) leads")
        try server.create("bench_fleet_template")
        _ = try work.populate(server.url(of: "bench_fleet_template"),
                              campaigns: (1...Self.campaigns).map { (slug: "fleet\($0)", leads: perCampaign, prefix: "c\($0)lead") },
                              perTick: Self.perTick)
        var rows: [ResultRow] = []
        var previous: Double?
        for processes in [1, 2, 4, 8] {
            var rates: [Double] = []
            var shares: [Int] = []
            for run in 1...options.runs {
                note("8. \(processes) host process(es) over \(Self.campaigns) campaigns, run \(run)")
                try server.create("bench_fleet", template: "bench_fleet_template")
                let fleet = Fleet(outreach: work.outreach, url: server.url(of: "bench_fleet"), environment: work.environment,
                                  logFolder: options.folder)
                let seconds = try fleet.drain(processes: processes)
                let perHost = try fleet.decisionsPerHost()
                let decided = perHost.values.reduce(0, +)
                guard decided == total else { throw BenchError("\(processes) hosts decided \(decided) of \(total) leads") }
                rates.append(Double(decided) / seconds)
                shares.append((1...processes).map { perHost["host-\($0)"] ?? 0 }.min() ?? 0)
            }
            // "Never falls": the median is not below the previous row's slowest run, so a
            // fall must be larger than the run-to-run spread of this shared machine to count.
            let spread = Spread(rates)
            let holds = previous.map { spread.median >= $0 } ?? true
            rows.append(ResultRow(
                measure: "8. \(processes) host process\(processes == 1 ? "" : "es"), \(Self.campaigns) campaigns (leads/s, all hosts)",
                value: spread.text(grouped), goal: previous == nil ? "" : "median ≥ the row above's min", pass: previous == nil ? nil : holds))
            rows.append(ResultRow(
                measure: "8. … fewest leads one of the \(processes) processes decided", value: "\(grouped(Double(shares.min() ?? 0))) of \(grouped(Double(total)))",
                goal: "> 0", pass: (shares.min() ?? 0) > 0))
            previous = spread.min
        }
        server.drop("bench_fleet")
        server.drop("bench_fleet_template")
        return rows
    }
}

/// Host processes ticking one PostgreSQL database until nothing is due: each one loops
/// `outreach tick --all` with its own `OUTREACH_HOST` (`host-1`, `host-2`, …), as cron on
/// separate machines would. A host that found every campaign busy waits 250 ms before its
/// next round: on separate machines an idle host costs the others nothing, but here its
/// process starts would take the two cores from the hosts doing the work.
struct Fleet {
    let outreach: String
    let url: String
    let environment: [String: String]
    let logFolder: String

    /// Runs `processes` hosts at once until no lead is due; returns the wall time.
    func drain(processes: Int) throws -> Double {
        let group = DispatchGroup()
        let failures = Failures()
        let start = DispatchTime.now()
        for host in 1...processes {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do { try tickUntilDrained(host: "host-\(host)") } catch { failures.add("\(error)") }
            }
            thread.start()
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        if let first = failures.first { throw BenchError(first) }
        return seconds
    }

    private func tickUntilDrained(host: String) throws {
        let remaining = try RawPostgres(url: url)
        let log = "\(logFolder)/\(host).log"
        var environment = self.environment
        environment["OUTREACH_HOST"] = host
        for _ in 0..<100_000 {
            let exit = try spawn(outreach, ["tick", "--all", "--db", url, "--now", Workload.now], environment: environment, output: log)
            guard exit.code == 0 || exit.code == 75 else {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(2).joined(separator: " ") ?? ""
                throw BenchError("\(host): outreach tick --all exited \(exit.code): \(tail)")
            }
            let due = try remaining.count("SELECT count(*) FROM leads WHERE status IN ('new', 'active') AND next_action_at <= ?",
                                          [.text(Workload.now)])
            if due == 0 { return }
            if exit.code == 75 { usleep(250_000) }
        }
        throw BenchError("\(host): still leads due after 100,000 ticks")
    }

    /// Decisions per host (the host part of each run's lease owner).
    func decisionsPerHost() throws -> [String: Int] {
        let rows = try RawPostgres(url: url).rows("""
            SELECT split_part(r.owner, ':', 1), count(*)::text FROM decisions d JOIN runs r ON r.id = d.run_id GROUP BY 1
            """)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], Int($0[1]) ?? 0) })
    }
}

/// The first error of the fleet's threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func add(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    var first: String? {
        lock.lock()
        defer { lock.unlock() }
        return messages.first
    }
}
