import Foundation
import OutreachTestSupport
import Testing
import OutreachCore

/// SPEC §9 end to end: the built binary with real child processes, real signals and real
/// broken pipes. Each test reproduces one way the promise "at most once" used to break.
@Suite("At most once from the command line")
struct AtMostOnceCLITests {
    /// A live, approved campaign whose sendmail command is `command` (a script written here).
    func liveCampaign(script: String, timeout: String = "2s", env: String = "[]", leads: Int = 1) throws -> CLI {
        let cli = try CLI()
        let path = try cli.write("sendmail.sh", "#!/bin/sh\n" + script + "\n")
        chmod(path, 0o755)
        try cli.setUpCampaign(yaml: campaignYAML(transport: "{ kind: sendmail, command: [\(path), -t], timeout: \(timeout), env: \(env) }"),
                              leads: leadsCSV(count: leads))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        return cli
    }

    func jobs(_ cli: CLI) throws -> String {
        try query(cli.database, "SELECT group_concat(status, ',') FROM (SELECT status FROM jobs ORDER BY id) AS s")
    }

    @Test("a sendmail that takes the message but outlives its timeout: unknown, never sent again, and the tick ends at the timeout")
    func timeoutIsUnknown() throws {
        let cli = try liveCampaign(script: "cat >> \"$HOME/ledger\"; sleep 8")
        let started = Date()
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(Date().timeIntervalSince(started) < 7, "the 2 s timeout is enforced, not the child's 8 s")
        #expect(tick.stdout.contains("1 unknown"), "the summary line tells cron: \(tick.stdout)")
        #expect(try jobs(cli) == "unknown")
        for day in ["2030-01-02", "2030-01-03"] {
            #expect(try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "\(day)T12:00:00Z"]).status == 0)
        }
        let ledger = try String(contentsOfFile: cli.path("ledger"), encoding: .utf8)
        #expect(ledger.components(separatedBy: "X-Outreach-Key: ").count - 1 == 1, "the message went to sendmail once")
        #expect(try jobs(cli) == "unknown")
    }

    @Test("a sendmail that never reads its input is killed at the timeout, counted from its start")
    func timeoutWhileWriting() throws {
        // A body of 1 MiB cannot fit in a pipe; a child that never reads blocks the write.
        let cli = try liveCampaign(script: "sleep 8")
        let body = String(repeating: "x", count: 1 << 20)
        try cli.write("big.csv", "email,first_name,blob\nbig@example.org,Big,\(body)\n")
        let yaml = try String(contentsOfFile: cli.path("campaign.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "body: \"Hi {{first_name}}.\"", with: "body: \"Hi {{first_name}}. {{blob}}\"")
        try cli.write("campaign.yaml", yaml)
        #expect(try cli.run(["campaign", "apply", cli.path("campaign.yaml")]).status == 0)
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        #expect(try cli.run(["leads", "import", "q4-launch", cli.path("big.csv")]).status == 0)
        let started = Date()
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(Date().timeIntervalSince(started) < 7)
        #expect(try query(cli.database, "SELECT count(*) FROM jobs WHERE status = 'unknown'") == "1")
    }

    @Test("a sendmail that leaves a background process holding its output (like exim4) is judged by its own exit: sent, at once")
    func lingeringChild() throws {
        let cli = try liveCampaign(script: "cat >> \"$HOME/ledger\"; (sleep 20; echo late) & exit 0", timeout: "10s", leads: 2)
        let started = Date()
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(Date().timeIntervalSince(started) < 8, "the lingering grandchild is not waited for")
        #expect(try jobs(cli) == "sent,sent")
        #expect(try query(cli.database, "SELECT count(*) FROM runs WHERE status = 'completed'") == "1")
    }

    @Test("exim4's sendmail, the stock Debian one, which forks a background delivery", .enabled(if: FileManager.default.fileExists(atPath: "/usr/sbin/exim4")))
    func realExim() throws {
        let cli = try CLI()
        try cli.setUpCampaign(yaml: campaignYAML(transport: "{ kind: sendmail, command: [/usr/sbin/sendmail, -t, -oi], timeout: 20s }"),
                              leads: leadsCSV(count: 2))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(try jobs(cli) == "sent,sent")
        #expect(try query(cli.database, "SELECT count(*) FROM leases WHERE owner IS NULL") == "1", "the lease was released")
    }

    @Test("the child sees the allow-list and transport.env, never a campaign's secret or OUTREACH_*")
    func childEnvironment() throws {
        let cli = try liveCampaign(script: "cat > /dev/null; env > \"$HOME/child-env\"", env: "[MSMTP_ACCOUNT]")
        // Another campaign names OTHER_TOKEN as its bearer token.
        let other = campaignYAML(slug: "other", transport: "{ kind: http, url: \"https://api.example.com/send\", token_env: OTHER_TOKEN }")
        #expect(try cli.run(["campaign", "apply", try cli.write("other.yaml", other)]).status == 0)
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"], environment: [
            "OTHER_TOKEN": "tok-secret", "OUTREACH_SOMETHING": "x", "MSMTP_ACCOUNT": "work", "UNLISTED": "y", "LC_ALL": "C",
        ])
        #expect(tick.status == 0, "\(tick.stderr)")
        let names = Set(try String(contentsOfFile: cli.path("child-env"), encoding: .utf8).split(separator: "\n")
            .map { String($0.prefix { $0 != "=" }) })
        #expect(names.isSuperset(of: ["PATH", "HOME", "MSMTP_ACCOUNT", "LC_ALL"]))
        for hidden in ["OTHER_TOKEN", "OUTREACH_UNSUB_SECRET", "OUTREACH_SOMETHING", "UNLISTED"] {
            #expect(!names.contains(hidden), "\(hidden) must not reach the child")
        }
    }

    @Test("a closed stdout or a full disk never aborts a tick: it records its run, frees its lease, and exits 74")
    func brokenOutput() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 3))
        let status = try runProcess("/bin/sh", ["-c", "cd \(cli.directory.path) && OUTREACH_UNSUB_SECRET=x\(cli.shellDatabaseVariable) \(CLI.binary) status >/dev/full"])
        #expect(status.status == 74, "\(status.stderr)")
        #expect(status.stderr.contains("writing to stdout or stderr failed"))
        let tick = try runProcess("/bin/sh", ["-c", "cd \(cli.directory.path) && OUTREACH_UNSUB_SECRET=x\(cli.shellDatabaseVariable) \(CLI.binary) tick q4-launch -v >/dev/full 2>&1; echo $?"])
        #expect(tick.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "74")
        let database = cli.database
        #expect(try query(database, "SELECT status FROM runs") == "completed")
        #expect(try query(database, "SELECT count(*) FROM leases WHERE owner IS NULL") == "1")
        #expect(try query(database, "SELECT count(*) FROM jobs") == "3")
        // A pipe closed early (| head) is the same.
        let piped = try runProcess("/bin/bash", ["-c", "cd \(cli.directory.path) && OUTREACH_UNSUB_SECRET=x\(cli.shellDatabaseVariable) \(CLI.binary) tick q4-launch -v --now 2030-01-01T00:00:00Z 2>&1 | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}"])
        #expect(["0", "74"].contains(piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "no trap: \(piped.stdout)")
        #expect(try query(database, "SELECT count(*) FROM runs WHERE status = 'running'") == "0")
    }

    @Test("SIGHUP is handled like SIGTERM: the run is recorded stopped and the lease freed")
    func hangup() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 2))
        let run = try cli.start(["run", "q4-launch", "--interval-seconds", "60"])
        _ = try waitFor { try query(cli.database, "SELECT count(*) FROM runs WHERE status != 'running'") == "1" ? true : nil }
        kill(run.process.processIdentifier, SIGHUP)
        let result = run.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try query(cli.database, "SELECT count(*) FROM runs WHERE status = 'running'") == "0")
        #expect(try query(cli.database, "SELECT count(*) FROM leases WHERE owner IS NULL") == "1")
    }

    @Test("bounded options and unreadable inputs get one sentence and their exit code, never a trap", arguments: [
        (["tick", "q4-launch", "--lease-seconds", "9223372036854775807"], Int32(64), "--lease-seconds"),
        (["tick", "q4-launch", "--lease-seconds", "253000000000"], Int32(64), "--lease-seconds"),
        (["tick", "q4-launch", "--limit", "99999999999"], Int32(64), "--limit"),
        (["leads", "import", "q4-launch", "folder.csv"], Int32(66), "is a folder"),
        (["events", "import", "folder.csv"], Int32(66), "is a folder"),
        (["unsubscribe", "import", "folder.csv"], Int32(66), "is a folder"),
    ])
    func boundsAndReads(arguments: [String], code: Int32, phrase: String) throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        try FileManager.default.createDirectory(atPath: cli.path("folder.csv"), withIntermediateDirectories: true)
        let before = try query(cli.database, "SELECT count(*) FROM runs")
        let result = try cli.run(arguments)
        #expect(result.status == code, "\(result.stderr)")
        #expect(result.stderr.contains(phrase))
        #expect(try query(cli.database, "SELECT count(*) FROM runs") == before)
    }

    @Test("a clock more than 30 minutes behind the database is refused with both instants; a dry run is exempt")
    func clockGoesBackwards() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 2))
        #expect(try cli.run(["tick", "q4-launch", "--now", "2030-01-02T12:00:00Z"]).status == 0)
        let back = try cli.run(["tick", "q4-launch", "--now", "2030-01-01T12:00:00Z"])
        #expect(back.status == 78)
        #expect(back.stderr.contains("2030-01-01T12:00:00Z") && back.stderr.contains("2030-01-02T12:00:00Z"))
        #expect(try cli.run(["unsubscribe", "add", "x@example.org", "--now", "2030-01-01T12:00:00Z"]).status == 78)
        #expect(try cli.run(["tick", "q4-launch", "--now", "2030-01-01T12:00:00Z", "--dry-run"]).status == 0)
        #expect(try cli.run(["tick", "q4-launch", "--now", "2030-01-02T11:45:00Z"]).status == 0, "inside the tolerance")
    }

    @Test("verify passes on an honest database and exits 70 on a planted violation; so does tick --artifacts")
    func verifyExitCodes() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 2))
        #expect(try cli.run(["tick", "q4-launch"]).status == 0)
        let honest = try cli.run(["verify", "--format", "json"])
        #expect(honest.status == 0, "\(honest.stderr)")
        #expect(honest.stdout.contains("\"check\":\"same_step_twice\""))
        _ = try query(cli.database, "UPDATE leads SET step_index = 5 WHERE id = 1")
        let planted = try cli.run(["verify", "q4-launch"])
        #expect(planted.status == 70)
        #expect(planted.stderr.contains("leads_advanced_without_job"))
        let tick = try cli.run(["tick", "q4-launch", "--artifacts", "out", "--now", "2030-01-01T00:00:00Z"])
        #expect(tick.status == 70, "\(tick.stderr)")
    }

    @Test("a tick that loses its lease mid-way exits 75, so cron can tell it from success",
          .enabled(if: !TestDatabase.isPostgres, "SKIPPED on PostgreSQL: B takes over by its --now clock, and there the server's clock judges leases; PostgresCLITests covers a takeover on PostgreSQL"))
    func leaseLostExits75() throws {
        // A's send takes 3 s with a 2 s lease; meanwhile B, an hour later by its clock, takes over.
        let cli = try liveCampaign(script: "cat > /dev/null; sleep 3", timeout: "30s")
        let first = try cli.start(["tick", "q4-launch", "--mode", "live", "--lease-seconds", "2", "--now", "2030-01-01T12:00:00Z"])
        _ = try waitFor { try query(cli.database, "SELECT count(*) FROM jobs WHERE status = 'dispatching'") == "1" ? true : nil }
        let second = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "2030-01-01T13:00:00Z"])
        #expect(second.status == 0, "\(second.stderr)")
        let result = first.wait()
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("lost its lease"))
        #expect(try query(cli.database, "SELECT status FROM jobs") == "unknown", "the taker reported the send as unknown")
    }
}
