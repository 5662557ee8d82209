import Foundation
import OutreachTestSupport
import Testing

/// SPEC §13 with a real PostgreSQL server (started by `Fixtures/pg-server` as the `postgres`
/// user on 127.0.0.1): many hosts ticking one database, a stopped lease holder, skewed host
/// clocks, and `db copy` both ways. Skipped, with the reason printed, when no server can start.
@Suite("PostgreSQL, many hosts", .serialized,
       .enabled(if: PostgresTestServer.isAvailable, "SKIPPED: no PostgreSQL server could be started (pg-server printed why)"))
struct PostgresCLITests {
    /// A CLI whose `OUTREACH_DB` is a fresh PostgreSQL database, with a sendmail stand-in
    /// that appends each message's key to `ledger` and then sleeps for the seconds in `delay`.
    func hostCLI() throws -> CLI {
        let cli = try CLI()
        cli.environment["OUTREACH_DB"] = try PostgresTestServer.createDatabase()
        let script = try cli.write("sendmail.sh", """
            #!/bin/sh
            key=$(grep -m1 '^X-Outreach-Key:' | cut -d' ' -f2 | tr -d '\\r')
            echo "$key" >> "$HOME/ledger"
            sleep "$(cat "$HOME/delay" 2>/dev/null || echo 0)"
            """)
        chmod(script, 0o755)
        #expect(try cli.run(["migrate"]).status == 0)
        return cli
    }

    /// A live campaign through the sendmail stand-in, its leads due from `now` (default: the system clock).
    func liveCampaign(_ cli: CLI, slug: String, leads: Int, perTick: Int, sender: String = "ada@example.com", now: String? = nil) throws {
        let yaml = campaignYAML(slug: slug, perTick: perTick, dailyQuota: 1000,
                                transport: "{ kind: sendmail, command: [\(cli.path("sendmail.sh")), -t], timeout: 20s }",
                                window: "{ days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", end: \"24:00\" }")
            .replacingOccurrences(of: "sender: { from: \"Ada Lovelace <ada@example.com>\"", with: "sender: { from: \"Ada <\(sender)>\"")
        for arguments in [["campaign", "apply", try cli.write("\(slug).yaml", yaml)],
                          ["leads", "import", slug, try cli.write("\(slug).csv", leadsCSV(count: leads, domain: "\(slug).example.org"))],
                          ["campaign", "approve", slug, "--by", "test"]] {
            let result = try cli.run(arguments + (now.map { ["--now", $0] } ?? []))
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
    }

    /// The idempotency keys the sendmail stand-in accepted, in order (the header's value is
    /// the installation id, a colon, and the job's key).
    func ledger(_ cli: CLI) -> [String] {
        ((try? String(contentsOfFile: cli.path("ledger"), encoding: .utf8)) ?? "").components(separatedBy: "\n").filter { !$0.isEmpty }
            .map { String($0.drop { $0 != ":" }.dropFirst()) }
    }

    func psql(_ cli: CLI, _ sql: String) throws -> String {
        try PostgresTestServer.psql(cli.environment["OUTREACH_DB"]!, sql).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("8 hosts race over 3 campaigns and a shared mailbox through SIGKILL storms: no message twice, the cap holds, verify passes")
    func manyHostsRace() throws {
        let cli = try hostCLI()
        let mailbox = "mailboxes:\n  - { address: shared@example.com, timezone: UTC, daily_cap: 40 }\n"
        #expect(try cli.run(["mailbox", "apply", try cli.write("m.yaml", mailbox)]).status == 0)
        for slug in ["alpha", "beta", "gamma"] {
            try liveCampaign(cli, slug: slug, leads: 20, perTick: 4, sender: "shared@example.com")
        }
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SplitMix(seed: seed)
        print("PostgresCLITests.manyHostsRace seed \(seed)")
        let orders = [["alpha", "beta", "gamma"], ["beta", "gamma", "alpha"], ["gamma", "alpha", "beta"]]
        for round in 0..<3 {
            let running = try (0..<8).map { host in
                try cli.start(["run"] + orders[(host + round) % 3] + ["--mode", "live", "--ticks", "2", "--interval-seconds", "0",
                                                                     "--lease-seconds", "3"],
                              environment: ["OUTREACH_HOST": "host\(host)"])
            }
            if round < 2 {
                // The storm: half the hosts die at random moments, mid-transaction or mid-send.
                for host in stride(from: round, to: 8, by: 2) {
                    usleep(UInt32(random.next() % 400_000))
                    kill(running[host].process.processIdentifier, SIGKILL)
                }
            }
            for (host, process) in running.enumerated() {
                let result = process.wait()
                let killed = round < 2 && host % 2 == round % 2
                #expect(killed || result.status == 0 || result.status == 75, "host\(host): \(result.status) \(result.stderr)")
            }
            // The killed hosts' leases run out by the server's clock before the next round.
            sleep(4)
        }
        let keys = ledger(cli)
        #expect(Set(keys).count == keys.count, "no message reached sendmail twice: \(keys.count) sends")
        let jobs = Int(try psql(cli, "SELECT count(*) FROM jobs")) ?? -1
        #expect((1...40).contains(jobs), "the shared cap of 40 holds over three campaigns and eight hosts: \(jobs)")
        #expect(keys.count <= jobs, "every send has its job")
        let sentNotInLedger = try psql(cli, "SELECT idempotency_key FROM jobs WHERE status = 'sent'")
            .split(separator: "\n").filter { !keys.contains(String($0)) }
        #expect(sentNotInLedger.isEmpty, "a job recorded as sent went to sendmail: \(sentNotInLedger)")
        #expect(Int(try psql(cli, "SELECT count(DISTINCT split_part(owner, ':', 1)) FROM runs")) ?? 0 >= 2, "more than one host ran ticks")
        let verified = try cli.run(["verify"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("a stopped lease holder: a host 10 minutes ahead still sees the lease held; after a takeover the resumed holder changes nothing")
    func stoppedHolderAndSkewedClocks() throws {
        let cli = try hostCLI()
        let now = Date()
        try liveCampaign(cli, slug: "solo", leads: 6, perTick: 6, now: isoTimestamp(now.addingTimeInterval(-1200)))
        try "2".write(toFile: cli.path("delay"), atomically: true, encoding: .utf8)
        let behind = isoTimestamp(now.addingTimeInterval(-600))
        let ahead = isoTimestamp(now.addingTimeInterval(600))
        let holder = try cli.start(["tick", "solo", "--mode", "live", "--lease-seconds", "6", "--now", behind],
                                   environment: ["OUTREACH_HOST": "host-a"])
        for _ in 0..<200 {
            if !ledger(cli).isEmpty { break }
            usleep(50_000)
        }
        #expect(ledger(cli).count == 1, "the holder is sending its first message")
        kill(holder.process.processIdentifier, SIGSTOP)

        // Host B's clock is 10 minutes ahead of A's lease, but the server's clock judges it: held.
        let early = try cli.run(["tick", "solo", "--mode", "live", "--now", ahead], environment: ["OUTREACH_HOST": "host-b"])
        #expect(early.status == 75, "\(early.status): \(early.stderr)")
        #expect(early.stderr.contains("is being ticked by host-a"), "\(early.stderr)")

        sleep(8)  // past the 6 s lease, by the server's clock
        try "0".write(toFile: cli.path("delay"), atomically: true, encoding: .utf8)
        let takeover = try cli.run(["tick", "solo", "--mode", "live", "--now", ahead], environment: ["OUTREACH_HOST": "host-b"])
        #expect(takeover.status == 0, "\(takeover.status): \(takeover.stderr)")
        let digest = "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (SELECT CAST(j.* AS text) AS t FROM jobs j UNION ALL SELECT CAST(d.* AS text) FROM decisions d UNION ALL SELECT CAST(l.* AS text) FROM leads l) AS v"
        let before = try psql(cli, digest)

        kill(holder.process.processIdentifier, SIGCONT)
        let resumed = holder.wait()
        #expect(try psql(cli, digest) == before, "the resumed holder's writes changed nothing (exit \(resumed.status): \(resumed.stderr))")
        let keys = ledger(cli)
        #expect(Set(keys).count == keys.count, "no message twice: \(keys)")
        #expect(try psql(cli, "SELECT count(*) FROM jobs") == "6")
        #expect(try psql(cli, "SELECT count(*) FROM jobs WHERE status = 'unknown'") == "1", "the holder's in-flight send is unknown, never re-sent")
        let verified = try cli.run(["verify"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("db copy moves a database from SQLite to an empty PostgreSQL and back: same rows, verify passes on both, proof.sql runs in psql")
    func copyBothWays() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 5))
        #expect(try cli.run(["unsubscribe", "add", "lead2@example.org"]).status == 0)
        #expect(try cli.run(["tick", "q4-launch", "--artifacts", cli.path("art")]).status == 0)
        let url = try PostgresTestServer.createDatabase()

        let copied = try cli.run(["db", "copy", "--to", url])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("leads 5"), "\(copied.stdout)")
        #expect(try cli.run(["verify", "--db", url]).status == 0)
        #expect(try cli.run(["status", "--db", url, "--format", "csv"]).stdout == (try cli.run(["status", "--format", "csv"])).stdout)
        let again = try cli.run(["db", "copy", "--to", url])
        #expect(again.status == 78, "a second copy into a database with rows is refused")
        #expect(again.stderr.contains("is not empty"), "\(again.stderr)")

        // A new id on PostgreSQL continues after the copied ones.
        #expect(try cli.run(["leads", "import", "q4-launch", try cli.write("more.csv", "email\nnew@example.org\n"), "--db", url]).status == 0)
        #expect(try PostgresTestServer.psql(url, "SELECT id FROM leads WHERE email = 'new@example.org'").output
            .trimmingCharacters(in: .whitespacesAndNewlines) == "6")

        // proof.sql of the PostgreSQL database, through the stock psql.
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: cli.path("art/q4-launch")).first)
        #expect(try cli.run(["export", "q4-launch", "--run", run, "--out", cli.path("pgart"), "--db", url]).status == 0)
        let proof = try runProcess("/usr/bin/psql", ["-X", "-A", "-t", "-F", "|", "-f", cli.path("pgart/q4-launch/\(run)/proof.sql"), url])
        let lines = proof.stdout.split(separator: "\n")
        #expect(lines.count == 16 && lines.allSatisfy { $0.hasSuffix("|0") }, "\(proof.stdout)\(proof.stderr)")

        let back = cli.path("back.sqlite")
        #expect(try cli.run(["db", "copy", "--db", url, "--to", back]).status == 0)
        #expect(try cli.run(["verify", "--db", back]).status == 0)
        #expect(try sqlite(back, "SELECT count(*) FROM leads") == "6")
        #expect(try sqlite(back, "SELECT group_concat(seq) FROM (SELECT seq FROM jobs ORDER BY id)")
                == (try sqlite(cli.path("outreach.sqlite"), "SELECT group_concat(seq) FROM (SELECT seq FROM jobs ORDER BY id)")))

        let secret = try cli.run(["status", "--db", "postgres://u:hunter2@127.0.0.1/x"])
        #expect(secret.status == 64)
        #expect(secret.stderr.contains("PGPASSWORD") && !secret.stderr.contains("hunter2"), "\(secret.stderr)")
    }
}

/// A small seeded generator, so a failing storm can be replayed from its printed seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
