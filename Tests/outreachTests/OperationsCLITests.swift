import Foundation
import Testing

/// Operating from cron: events, metrics for promtool, JSON logs, signals and the run loop.
@Suite("Operations from the command line", .serialized)
struct OperationsCLITests {
    @Test("events import applies feedback once; a rejected file leaves the database unchanged")
    func eventsImport() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        let events = try cli.write("events.jsonl", """
            {"id":"1","type":"reply","email":"lead1@example.org","at":"2026-11-23T16:00:00Z"}
            {"id":"2","type":"bounce","bounce":"hard","email":"lead2@example.org","at":"2026-11-23T16:00:00Z","campaign":"q4-launch"}
            {"id":"3","type":"complaint","email":"someone@else.example","at":"2026-11-23T16:00:00Z"}
            """)
        let first = try cli.run(["events", "import", events])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3 new"))
        #expect(first.stdout.contains("1 replied"))
        let database = cli.database
        let before = try snapshot(database)
        let again = try cli.run(["events", "import", events])
        #expect(again.stdout.contains("3 already imported"))
        #expect(try snapshot(database) == before)

        let bad = try cli.run(["events", "import", try cli.write("bad.jsonl", "{\"id\":\"9\",\"type\":\"reply\",\"email\":\"lead3@example.org\",\"at\":\"2026-11-23T16:00:00Z\"}\n{oops\n")])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("line 2"))
        #expect(try snapshot(database) == before)
        let missing = try cli.run(["events", "import", "nowhere.jsonl"])
        #expect(missing.status == 66)
    }

    @Test("unsubscribe import and suppress import from the command line")
    func listImports() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["unsubscribe", "import", try cli.write("u.csv", "email,source\nlead1@example.org,form\n")]).status == 0)
        #expect(try cli.run(["suppress", "import", try cli.write("s.csv", "domain,reason\nexample.org,test\n")]).status == 0)
        let list = try cli.run(["suppress", "list", "--format", "json"])
        #expect(list.stdout.contains("\"value\":\"example.org\""))
        let bad = try cli.run(["unsubscribe", "import", try cli.write("b.csv", "email\nnot-an-email\n")])
        #expect(bad.status == 65)
        let tick = try cli.run(["tick", "q4-launch"])
        #expect(tick.stdout.contains("0 dispatched"))
    }

    /// Reported as skipped (not passed) without promtool; `make test-deps` installs it.
    @Test("the metrics file passes promtool check metrics",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is not installed (Debian package prometheus)"))
    func promtool() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["campaign", "apply", try cli.write("b.yaml", campaignYAML(slug: "second"))]).status == 0)
        let tick = try cli.run(["tick", "--all", "--metrics-file", "outreach.prom"])
        #expect(tick.status == 0, "\(tick.stderr)")
        let text = try String(contentsOfFile: cli.path("outreach.prom"), encoding: .utf8)
        #expect(text.contains("campaign=\"q4-launch\""))
        #expect(text.contains("campaign=\"second\""))
        let checked = try runProcess("/usr/bin/promtool", ["check", "metrics"], input: text)
        let report = checked.stdout + checked.stderr
        #expect(checked.status == 0, "promtool: \(report)")
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool has no complaints: \(report)")
    }

    @Test("JSON log lines parse and carry ts, level, msg, campaign, run_id, and lead_id/decision/job_id per decision")
    func jsonLogs() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: "email,first_name\nlead1@example.org,\"Eve\nFAKE 2026 error forged line\"\nlead2@example.org,\n")
        let tick = try cli.run(["tick", "q4-launch", "--log-format", "json", "-v"])
        #expect(tick.status == 0)
        var decisions = 0
        for line in tick.stderr.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            for key in ["ts", "level", "msg", "campaign", "run_id"] { #expect(object[key] != nil, "\(key) in \(line)") }
            if object["msg"] as? String == "decision" {
                decisions += 1
                #expect(object["lead_id"] != nil && object["decision"] != nil && object["job_id"] != nil)
            }
        }
        #expect(decisions == 2)
        let text = try cli.run(["tick", "q4-launch", "-v", "--now", "2030-01-01T00:00:00Z"])
        #expect(text.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("2030-01-01T00:00:00Z ") }, "\(text.stderr)")
        #expect(!text.stderr.contains("Eve"), "no lead data in logs")
    }

    @Test("SIGTERM during `run` finishes the current lead, records the run stopped and frees the lease at once")
    func sigtermReleasesLease() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail(sleep: 1)
        let state = sendmail.folder
        try cli.setUpCampaign(yaml: campaignYAML(transport: sendmail.transport), leads: leadsCSV(count: 5))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)

        let running = try cli.start(["run", "q4-launch", "--mode", "live", "--interval-seconds", "60"])
        _ = try waitFor { FileManager.default.fileExists(atPath: state + "/started-1") ? true : nil }
        kill(running.process.processIdentifier, SIGTERM)
        let result = running.wait()

        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("stopped (signal)"))
        let database = cli.database
        #expect(try query(database, "SELECT status || ':' || stop_reason FROM runs") == "stopped:signal")
        #expect(try query(database, "SELECT count(*) FROM jobs WHERE status = 'sent'") == "1", "the lead in flight was finished")
        #expect(try query(database, "SELECT count(*) FROM leases WHERE owner IS NOT NULL") == "0")
        try FileManager.default.removeItem(atPath: state + "/sleep")
        let next = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(next.status == 0, "the lease was free: \(next.stderr)")
        #expect(next.stdout.contains("4 dispatched"))
    }

    @Test("run --ticks N ticks N times and exits")
    func runLoop() throws {
        let cli = try CLI()
        try cli.setUpCampaign(yaml: campaignYAML(perTick: 1), leads: leadsCSV(count: 5))
        let result = try cli.run(["run", "q4-launch", "--ticks", "3", "--interval-seconds", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 3)
        #expect(try query(cli.database, "SELECT count(*) FROM jobs") == "3")
    }
}
