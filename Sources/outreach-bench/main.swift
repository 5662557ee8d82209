// outreach-bench: the performance table of the README, measured in one run on one machine.
//
//   make bench                       # the defaults below
//   make bench BENCH_ARGS="--leads 20000 --big 100000 --runs 1"   # a quick smoke run
//
// Every figure is the median of --runs runs (at least 3 unless told), with min and max.
// The tick, the export and the import are the real release binary, measured as a user runs
// them (wall time, and peak resident memory from wait4); the storage limits are measured in
// this process against identical databases with the SQLite C API.

import Foundation
import OutreachCore

struct Options {
    var leads = 100_000
    var big = 1_000_000
    var runs = 3
    var folder = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-bench").path
    var keep = false
    var mail = 10_000
    var corpus = "Tests/OutreachMailTests/Corpus"
    /// `nil`: start a throwaway server with `pgServer`; "off": skip the PostgreSQL sections.
    var postgres: String?
    var pgServer = "Tests/outreachTests/Fixtures/pg-server"
    var postgresOnly = false

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            func value() throws -> String {
                guard let next = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
                return next
            }
            switch flag {
            case "--leads": leads = Int(try value()) ?? leads
            case "--big": big = Int(try value()) ?? big
            case "--runs": runs = max(1, Int(try value()) ?? runs)
            case "--work": folder = try value()
            case "--keep": keep = true
            case "--mail": mail = Int(try value()) ?? mail
            case "--corpus": corpus = try value()
            case "--postgres": postgres = try value()
            case "--pg-server": pgServer = try value()
            case "--postgres-only": postgresOnly = true
            case "-h", "--help":
                print("usage: outreach-bench [--leads N (100000)] [--big N (1000000)] [--runs R (3)] [--mail N (10000)] [--corpus DIR] [--postgres URL|off] [--postgres-only] [--pg-server SCRIPT] [--work DIR] [--keep]")
                exit(0)
            default: throw BenchError("unknown option \(flag)")
            }
        }
    }
}

/// One row of the results table.
struct ResultRow {
    let measure: String
    let value: String
    let goal: String
    let pass: Bool?
}

func main() throws {
    let options = try Options(CommandLine.arguments)
    let binFolder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    let outreach = binFolder + "/outreach"
    let hello = binFolder + "/outreach-hello"
    for tool in [outreach, hello] where !FileManager.default.isExecutableFile(atPath: tool) {
        throw BenchError("\(tool) is missing; build with `make bench`")
    }
    try? FileManager.default.removeItem(atPath: options.folder)
    try FileManager.default.createDirectory(atPath: options.folder, withIntermediateDirectories: true)
    defer { if !options.keep { try? FileManager.default.removeItem(atPath: options.folder) } }
    let work = Workload(folder: options.folder, outreach: outreach)
    var rows: [ResultRow] = []
    func note(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }

    var messageLength = 0
    if !options.postgresOnly {
        (rows, messageLength) = try sqliteRows(options: options, work: work, hello: hello, note: note)
    }

    // MARK: 7–8. PostgreSQL (SPEC §13).
    if options.postgres == "off" {
        note("7–8. skipped: --postgres off")
    } else {
        switch try PostgresServer.start(url: options.postgres, script: options.pgServer, folder: options.folder) {
        case .failure(let reason):
            note("7–8. skipped: \(reason)")
            rows.append(ResultRow(measure: "7–8. PostgreSQL", value: "SKIPPED: \(reason)", goal: "", pass: nil))
        case .success(let server):
            defer { server.stop() }
            rows += try PostgresBench(options: options, work: work, server: server, note: note).rows()
        }
    }

    // MARK: The table.
    var info = utsname()
    uname(&info)
    let machine = withUnsafeBytes(of: info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let cpuLine = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
        .first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) } ?? machine
    print("Measured \(Timestamp.format(Date())) on \(cpuLine), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
          + "\(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB; median [min–max] of \(options.runs) runs; "
          + "stored message \(messageLength) bytes.\n")
    print("| measure | result | goal | |")
    print("|---|---|---|---|")
    for row in rows {
        print("| \(row.measure) | \(row.value) | \(row.goal) | \(row.pass.map { $0 ? "ok" : "**missed**" } ?? "") |")
    }
}

/// Sections 1–6: SQLite, the import and import-mail. Returns the rows and the stored
/// message length of the tick (for the table's header).
func sqliteRows(options: Options, work: Workload, hello: String, note: (String) -> Void) throws -> ([ResultRow], Int) {
    let outreach = work.outreach
    var rows: [ResultRow] = []
    var messageLength = 0
    // MARK: 1. The tick against the storage limit.
    note("building a campaign of \(grouped(Double(options.leads))) leads")
    let (mainDB, _) = try work.buildDatabase(leads: options.leads, name: "main")
    var tickRates: [Double] = []
    var rawRates: [Double] = []
    for run in 1...options.runs {
        note("1. tick of \(grouped(Double(options.leads))) leads, run \(run)")
        let (sample, after) = try work.tick(template: mainDB)
        tickRates.append(Double(options.leads) / sample.seconds)
        messageLength = try RawStorage(path: after).averageMessageLength()
        let copy = options.folder + "/raw.sqlite"
        try copyDatabase(mainDB, to: copy)
        let raw = try RawStorage(path: copy)
        let message = String(repeating: "m", count: messageLength)
        var processed = 0
        let seconds = try time { processed = try raw.tick(now: Workload.now, runID: "raw-\(run)", message: message) }
        rawRates.append(Double(processed) / seconds)
    }
    let tickSpread = Spread(tickRates)
    let rawSpread = Spread(rawRates)
    let ratio = tickSpread.median / rawSpread.median
    rows.append(ResultRow(measure: "1. proof tick, \(grouped(Double(options.leads))) leads (leads/s)", value: tickSpread.text(grouped), goal: "", pass: nil))
    rows.append(ResultRow(measure: "1. raw SQLite, same work (leads/s)", value: rawSpread.text(grouped), goal: "", pass: nil))
    rows.append(ResultRow(measure: "1. tick ÷ raw", value: String(format: "%.2f", ratio), goal: "≥ 0.5", pass: ratio >= 0.5))

    // MARK: 2. Cost growth: 1,000 dispatches in a small and in a large campaign.
    note("building campaigns of 10,000 and \(grouped(Double(options.big))) leads")
    let (smallDB, _) = try work.buildDatabase(leads: 10_000, name: "small")
    let (bigDB, bigImport) = try work.buildDatabase(leads: options.big, name: "big")
    var smallTimes: [Double] = []
    var bigTimes: [Double] = []
    for run in 1...options.runs {
        note("2. 1,000 dispatches, run \(run)")
        smallTimes.append(try work.tick(template: smallDB, extra: ["--limit", "1000"]).0.seconds)
        bigTimes.append(try work.tick(template: bigDB, extra: ["--limit", "1000"]).0.seconds)
    }
    let growth = Spread(bigTimes).median / Spread(smallTimes).median
    let plan = try RawStorage(path: bigDB).selectionPlan()
    let fullScan = plan.contains { $0.hasPrefix("SCAN leads") || $0.hasPrefix("SCAN d") }
    rows.append(ResultRow(measure: "2. 1,000 dispatches, campaign of 10,000 (s)", value: Spread(smallTimes).text { String(format: "%.3f", $0) }, goal: "", pass: nil))
    rows.append(ResultRow(measure: "2. 1,000 dispatches, campaign of \(grouped(Double(options.big))) (s)", value: Spread(bigTimes).text { String(format: "%.3f", $0) }, goal: "", pass: nil))
    rows.append(ResultRow(measure: "2. large ÷ small", value: String(format: "%.2f", growth), goal: "≤ 1.5", pass: growth <= 1.5))
    rows.append(ResultRow(measure: "2. selection plan", value: plan.joined(separator: "; "), goal: "no full scan", pass: !fullScan))

    // MARK: 3. Memory.
    var bigTickKB: [Double] = []
    var exportKB: [Double] = []
    var hundredKB: [Double] = []
    var thousandKB: [Double] = []
    let (thousandDB, _) = try work.buildDatabase(leads: 1_000, name: "thousand")
    for run in 1...options.runs {
        note("3. memory of a \(grouped(Double(options.big)))-lead tick and its export, run \(run)")
        let (tick, after) = try work.tick(template: bigDB, memory: true)
        bigTickKB.append(Double(tick.peakKB))
        let out = options.folder + "/artifacts"
        try? FileManager.default.removeItem(atPath: out)
        let export = try measure(outreach, ["export", "bench", "--latest", "--out", out, "--db", after],
                                 environment: work.environment, log: options.folder + "/outreach.log", memory: true)
        exportKB.append(Double(export.peakKB))
        try? FileManager.default.removeItem(atPath: out)
        hundredKB.append(Double(try work.tick(template: mainDB, memory: true).0.peakKB))
        thousandKB.append(Double(try work.tick(template: thousandDB, memory: true).0.peakKB))
    }
    let megabytes: (Double) -> String = { String(format: "%.1f MB", $0 / 1024) }
    rows.append(ResultRow(measure: "3. peak RSS, tick of \(grouped(Double(options.big))) leads", value: Spread(bigTickKB).text(megabytes),
                          goal: "< 100 MB", pass: Spread(bigTickKB).max < 100 * 1024))
    rows.append(ResultRow(measure: "3. peak RSS, exporting its artifacts", value: Spread(exportKB).text(megabytes),
                          goal: "< 100 MB", pass: Spread(exportKB).max < 100 * 1024))
    let memoryGrowth = Spread(hundredKB).median / Spread(thousandKB).median
    rows.append(ResultRow(measure: "3. peak RSS, tick of \(grouped(Double(options.leads))) ÷ tick of 1,000",
                          value: "\(megabytes(Spread(hundredKB).median)) ÷ \(megabytes(Spread(thousandKB).median)) = \(String(format: "%.2f", memoryGrowth))",
                          goal: "≤ 1.5", pass: memoryGrowth <= 1.5))

    // MARK: 4. Start-up: a tick with nothing due against a Foundation hello-world.
    note("4. start-up")
    let idle = options.folder + "/idle.sqlite"
    try copyDatabase(thousandDB, to: idle)
    _ = try measure(outreach, ["tick", "bench", "--db", idle, "--now", Workload.now], environment: work.environment,
                    log: options.folder + "/outreach.log")
    var idleTimes: [Double] = []
    var helloTimes: [Double] = []
    for _ in 0..<max(30, options.runs) {
        idleTimes.append(try measure(outreach, ["tick", "bench", "--db", idle, "--now", Workload.now], environment: work.environment,
                                     log: options.folder + "/outreach.log").seconds)
        helloTimes.append(try measure(hello, [], environment: work.environment, log: options.folder + "/hello.log").seconds)
    }
    let milliseconds: (Double) -> String = { String(format: "%.1f ms", $0 * 1000) }
    let startup = Spread(idleTimes).median / Spread(helloTimes).median
    rows.append(ResultRow(measure: "4. tick with nothing due", value: Spread(idleTimes).text(milliseconds), goal: "", pass: nil))
    rows.append(ResultRow(measure: "4. Foundation hello-world, same flags", value: Spread(helloTimes).text(milliseconds), goal: "", pass: nil))
    rows.append(ResultRow(measure: "4. tick ÷ hello-world", value: String(format: "%.2f", startup), goal: "≤ 2", pass: startup <= 2))

    // MARK: 5. Import against raw inserts of the same rows.
    var importRates: [Double] = [Double(options.big) / bigImport]
    var rawInsertRates: [Double] = []
    let bigCSV = work.leadsPath(count: options.big)
    for run in 1...options.runs {
        note("5. import of \(grouped(Double(options.big))) rows, run \(run)")
        if run > 1 { importRates.append(Double(options.big) / (try work.buildDatabase(leads: options.big, name: "big").importSeconds)) }
        let empty = options.folder + "/empty.sqlite"
        try copyDatabase(try work.buildDatabase(leads: 1, name: "empty-template").path, to: empty)
        let raw = try RawStorage(path: empty)
        try raw.exec("DELETE FROM leads")
        var inserted = 0
        let seconds = try time { inserted = try raw.insertLeads(csv: bigCSV, now: Workload.now) }
        rawInsertRates.append(Double(inserted) / seconds)
    }
    let importRatio = Spread(importRates).median / Spread(rawInsertRates).median
    rows.append(ResultRow(measure: "5. leads import, \(grouped(Double(options.big))) rows (rows/s)", value: Spread(importRates).text(grouped), goal: "", pass: nil))
    rows.append(ResultRow(measure: "5. raw inserts of the same rows (rows/s)", value: Spread(rawInsertRates).text(grouped), goal: "", pass: nil))
    rows.append(ResultRow(measure: "5. import ÷ raw", value: String(format: "%.2f", importRatio), goal: "≥ 0.33", pass: importRatio >= 1.0 / 3))

    // MARK: 6. import-mail over a Maildir made from the mail corpus.
    if let messages = try? mailCorpus(options.corpus), !messages.isEmpty, options.mail > 0 {
        let maildir = options.folder + "/maildir"
        try FileManager.default.createDirectory(atPath: maildir + "/new", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: maildir + "/cur", withIntermediateDirectories: true)
        for index in 0..<options.mail {
            // Each copy gets its own Message-ID first, so none is skipped as already imported.
            var copy = Data("Message-ID: <bench-\(index)@bench.example>\r\n".utf8)
            copy.append(messages[index % messages.count])
            try copy.write(to: URL(fileURLWithPath: maildir + "/new/\(String(format: "%06d", index)).eml"))
        }
        var rates: [Double] = []
        var peaks: [Double] = []
        for run in 1...options.runs {
            note("6. import-mail of \(grouped(Double(options.mail))) messages, run \(run)")
            let database = options.folder + "/mail.sqlite"
            try copyDatabase(thousandDB, to: database)
            let sample = try measure(outreach, ["events", "import-mail", maildir, "--db", database, "--now", Workload.now, "--format", "csv"],
                                     environment: work.environment, log: options.folder + "/import-mail.log", memory: true)
            rates.append(Double(options.mail) / sample.seconds)
            peaks.append(Double(sample.peakKB))
        }
        rows.append(ResultRow(measure: "6. events import-mail, \(grouped(Double(options.mail))) corpus messages (messages/s)",
                              value: Spread(rates).text(grouped), goal: "", pass: nil))
        rows.append(ResultRow(measure: "6. peak RSS of that import", value: Spread(peaks).text(megabytes), goal: "", pass: nil))
    } else {
        note("6. skipped: no mail corpus at \(options.corpus) (--corpus DIR)")
    }

    return (rows, messageLength)
}

/// Every message file of the corpus (`bsd/`, `not/`), read once.
func mailCorpus(_ folder: String) throws -> [Data] {
    var messages: [Data] = []
    for sub in ["bsd", "not"] {
        let path = folder + "/" + sub
        for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where name.hasSuffix(".eml") {
            messages.append(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
        }
    }
    return messages
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("outreach-bench: \(error)\n".utf8))
    exit(1)
}
