import Foundation
import OutreachCore

/// The benchmark's data: a campaign, N leads, and realistic lists — 10,000 unsubscribes
/// (half of them leads), 1,000 suppressed domains (5 % of leads), 5 % DNC — written as the
/// files an operator would import, then imported with the real binary.
struct Workload {
    static let now = "2026-11-23T15:00:00Z"
    static let domains = 20_000
    static let secret = ["OUTREACH_UNSUB_SECRET": "bench-secret"]

    let folder: String
    let outreach: String

    var environment: [String: String] {
        Self.secret.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { $1 }
    }

    /// The benchmark's campaign: everything due at once, every day and hour open.
    static func campaign(slug: String = "bench", perTick: Int = 10_000_000) -> String {
        """
        slug: \(slug)
        name: Benchmark
        timezone: UTC
        sender: { from: "Ada Lovelace <ada@example.com>", reply_to: "ada@example.com", postal_address: "1 Example Street, London" }
        limits: { per_tick: \(perTick), daily_quota: 10000000, cooldown: 24h }
        window: { days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00", recipient_timezone: true }
        unsubscribe: { url: "https://example.com/u/{{token}}", mailto: "unsubscribe@example.com", secret_env: OUTREACH_UNSUB_SECRET }
        steps:
          - id: intro
            delay: 0h
            subject: "Quick question, {{first_name}}"
            body: |
              Hi {{first_name}},

              I noticed {{company}} is growing its {{team}} team. Would a 15-minute call next week be useful?

              Ada
          - { id: followup1, delay: 72h, subject: "Re: Quick question", body: "Hi {{first_name}}, bringing this back to the top of your inbox." }
          - { id: followup2, delay: 168h, subject: "Closing the loop", body: "Hi {{first_name}}, all the best to {{company}}." }

        """
    }

    static let zones = ["", "America/New_York", "Europe/Paris", "Asia/Tokyo", "Europe/London"]

    /// The lead CSV for `count` leads (streamed to disk); `prefix` keeps the addresses of
    /// several campaigns apart (the cooldown is per address across campaigns).
    func writeLeads(count: Int, to path: String, prefix: String = "lead") throws {
        let file = try AtomicFile(path: path, durable: false)
        try file.write("email,first_name,last_name,company,timezone,dnc,team\n")
        var chunk = ""
        for index in 0..<count {
            chunk += "\(prefix)\(index)@d\(index % Self.domains).example,First\(index),Last\(index),Company \(index % 997),"
                + "\(Self.zones[index % Self.zones.count]),\(index % 20 == 7 ? "true" : ""),team\(index % 7)\n"
            if chunk.utf8.count > 1 << 16 {
                try file.write(chunk)
                chunk = ""
            }
        }
        try file.write(chunk)
        try file.commit()
    }

    /// 10,000 unsubscribes: every other one is a lead of a campaign of at least 20,000.
    func writeUnsubscribes(to path: String) throws {
        var text = "email,source\n"
        for index in 0..<10_000 {
            text += index % 2 == 0 ? "lead\(index * 2 + 1)@d\((index * 2 + 1) % Self.domains).example,bench\n"
                                   : "stranger\(index)@elsewhere\(index % 50).example,bench\n"
        }
        try AtomicFile.write(text, to: path)
    }

    /// 1,000 suppressed domains: one in twenty of the leads' domains.
    func writeSuppressions(to path: String) throws {
        var text = "domain,reason\n"
        for index in 0..<1_000 { text += "d\(index * 20 + 3).example,bench\n" }
        try AtomicFile.write(text, to: path)
    }

    /// A migrated SQLite database with the campaign, `count` leads and the lists. Returns the
    /// path and how long the lead import took.
    func buildDatabase(leads count: Int, name: String) throws -> (path: String, importSeconds: Double) {
        let database = "\(folder)/\(name).sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        let seconds = try populate(database, campaigns: [(slug: "bench", leads: count, prefix: "lead")])
        return (database, seconds)
    }

    /// Where the lead CSV of `count` leads with addresses starting `prefix` is written.
    func leadsPath(count: Int, prefix: String = "lead") -> String {
        "\(folder)/leads-\(prefix)-\(count).csv"
    }

    /// Migrates `database` (a SQLite path or a PostgreSQL URL) and fills it as an operator
    /// would, with the real binary: each campaign and its leads, then the lists. Returns how
    /// long the first lead import took.
    func populate(_ database: String, campaigns: [(slug: String, leads: Int, prefix: String)],
                  perTick: Int = 10_000_000) throws -> Double {
        try writeUnsubscribes(to: "\(folder)/unsubscribes.csv")
        try writeSuppressions(to: "\(folder)/suppressions.csv")
        let log = "\(folder)/outreach.log"
        let db = ["--db", database]
        _ = try measure(outreach, ["migrate"] + db, environment: environment, log: log)
        var firstImport: Double?
        for campaign in campaigns {
            let campaignFile = "\(folder)/campaign-\(campaign.slug).yaml"
            try AtomicFile.write(Self.campaign(slug: campaign.slug, perTick: perTick), to: campaignFile)
            let leadsFile = leadsPath(count: campaign.leads, prefix: campaign.prefix)
            if !FileManager.default.fileExists(atPath: leadsFile) {
                try writeLeads(count: campaign.leads, to: leadsFile, prefix: campaign.prefix)
            }
            _ = try measure(outreach, ["campaign", "apply", campaignFile] + db, environment: environment, log: log)
            let imported = try measure(outreach, ["leads", "import", campaign.slug, leadsFile, "--now", Self.now] + db,
                                       environment: environment, log: log)
            firstImport = firstImport ?? imported.seconds
        }
        _ = try measure(outreach, ["unsubscribe", "import", "\(folder)/unsubscribes.csv", "--now", Self.now] + db,
                        environment: environment, log: log)
        _ = try measure(outreach, ["suppress", "import", "\(folder)/suppressions.csv", "--now", Self.now] + db,
                        environment: environment, log: log)
        return firstImport ?? 0
    }

    /// Runs `outreach tick bench` on a copy of `template` and measures it (with `memory`, its
    /// peak resident memory too).
    func tick(template: String, extra: [String] = [], memory: Bool = false) throws -> (Sample, String) {
        let copy = "\(folder)/tick.sqlite"
        try copyDatabase(template, to: copy)
        let sample = try measure(outreach, ["tick", "bench", "--db", copy, "--now", Self.now] + extra,
                                 environment: environment, log: "\(folder)/outreach.log", memory: memory)
        return (sample, copy)
    }
}
