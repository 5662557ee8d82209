import Foundation
import OutreachTestSupport
import Testing

/// The built binary, end to end, as an operator uses it.
@Suite("Command line")
struct CLITests {
    @Test("migrate, apply, import, tick and the listings work from an empty folder")
    func happyPath() throws {
        let cli = try CLI()
        try cli.setUpCampaign()

        let tick = try cli.run(["tick", "q4-launch", "--now", "2026-11-23T15:00:00Z"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(tick.stdout.contains("q4-launch: run 20261123T150000Z-c1-t1 completed"))
        #expect(tick.stdout.contains("3 dispatched"))

        let leads = try cli.run(["leads", "list", "q4-launch", "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(leads.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 3)
        for key in ["lead_id", "email", "status", "step_index", "next_action_at", "last_contacted_at", "blocked_reason"] {
            #expect(rows[0].keys.contains(key), "leads list has \(key)")
        }
        #expect(rows[0]["status"] as? String == "active")
        #expect(rows[0]["last_contacted_at"] as? String == "2026-11-23T15:00:00Z")

        let jobs = try cli.run(["jobs", "list", "q4-launch", "--format", "json"])
        let jobRows = try #require(try JSONSerialization.jsonObject(with: Data(jobs.stdout.utf8)) as? [[String: Any]])
        #expect(Set(jobRows[0].keys) == ["job_id", "idempotency_key", "lead_id", "email", "step_id", "step_index", "status",
                                          "attempt", "next_attempt_at", "error", "created_at"])

        let runs = try cli.run(["runs", "list", "q4-launch", "--format", "json"])
        let runRows = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
        #expect(Set(runRows[0].keys) == ["run_id", "mode", "status", "stop_reason", "owner", "fencing_token", "started_at",
                                          "finished_at", "dispatched", "skipped"])
        #expect(runRows[0]["dispatched"] as? Int == 3)

        let csv = try cli.run(["leads", "list", "q4-launch", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("lead_id,email,status,"))
    }

    @Test("the database and the frozen clock come from the environment too")
    func environmentVariables() throws {
        let cli = try CLI()
        let env = ["OUTREACH_DB": cli.path("env.sqlite"), "OUTREACH_NOW": "2026-11-23T15:00:00Z"]
        #expect(try cli.run(["migrate"], environment: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.path("env.sqlite")))
        #expect(try cli.run(["campaign", "apply", try cli.write("c.yaml", campaignYAML())], environment: env).status == 0)
        #expect(try cli.run(["leads", "import", "q4-launch", try cli.write("l.csv", leadsCSV(count: 1))], environment: env).status == 0)
        let tick = try cli.run(["tick", "--all", "--log-format", "json"], environment: env)
        #expect(tick.status == 0)
        #expect(tick.stdout.contains("20261123T150000Z"))
        let lines = tick.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["ts"] as? String == "2026-11-23T15:00:00Z")
            #expect(object["campaign"] as? String == "q4-launch")
            #expect(object["run_id"] != nil)
        }
    }

    @Test("bad input gets one sentence, the documented exit code and no change to the database")
    func badInput() throws {
        let cli = try CLI()

        let noDatabase = try cli.run(["leads", "list", "q4-launch"])
        #expect(noDatabase.status == 78)
        #expect(noDatabase.stderr.contains("outreach migrate"))
        if !TestDatabase.isPostgres { #expect(!FileManager.default.fileExists(atPath: cli.database)) }

        try cli.setUpCampaign()
        let digest = try query(cli.database, "SELECT count(*), group_concat(email) FROM leads")

        let badCSV = try cli.run(["leads", "import", "q4-launch", try cli.write("bad.csv", "email,first_name\nok@example.org,Ok\nbad-address,X\n")])
        #expect(badCSV.status == 65)
        #expect(badCSV.stderr.contains("bad.csv has 1 invalid row"))
        #expect(badCSV.stderr.contains("line 3"))
        #expect(try query(cli.database, "SELECT count(*), group_concat(email) FROM leads") == digest)

        let badYAML = try cli.run(["campaign", "apply", try cli.write("bad.yaml", campaignYAML(extra: "colour: blue"))])
        #expect(badYAML.status == 78)
        #expect(badYAML.stderr.contains("bad.yaml:9: colour: unknown key"), "\(badYAML.stderr)")
        let traversal = try cli.run(["campaign", "apply", try cli.write("slug.yaml", campaignYAML(slug: "../x"))])
        #expect(traversal.status == 78)
        #expect(traversal.stderr.contains("slug"))

        let missingFile = try cli.run(["leads", "import", "q4-launch", "nowhere.csv"])
        #expect(missingFile.status == 66)
        let unknownCampaign = try cli.run(["tick", "nope"])
        #expect(unknownCampaign.status == 65)
        #expect(unknownCampaign.stderr.contains("campaign list"))
        let unknownFlag = try cli.run(["tick", "q4-launch", "--colour"])
        #expect(unknownFlag.status == 64)
        let badNow = try cli.run(["tick", "q4-launch", "--now", "tomorrow"])
        #expect(badNow.status == 64)
        #expect(try query(cli.database, "SELECT count(*) FROM runs") == "0")

        for result in [noDatabase, badCSV, badYAML, missingFile, unknownCampaign] {
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
    }

    @Test("an un-migrated database is refused with exit 78")
    func unmigratedDatabase() throws {
        let cli = try CLI()
        _ = try query(cli.database, "CREATE TABLE unrelated (x INTEGER)")
        let result = try cli.run(["campaign", "list"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("is not migrated"))
    }

    @Test("eight concurrent ticks of one campaign never duplicate a key or overlap runs")
    func concurrentTicks() throws {
        let cli = try CLI()
        try cli.setUpCampaign(yaml: campaignYAML(perTick: 1000, dailyQuota: 1000), leads: leadsCSV(count: 400))

        let running = try (0..<8).map { _ in try cli.start(["tick", "q4-launch"]) }
        let results = running.map { $0.wait() }

        for result in results { #expect(result.status == 0 || result.status == 75, "\(result.status): \(result.stderr)") }
        #expect(results.contains { $0.status == 0 })
        let database = cli.database
        #expect(try query(database, "SELECT count(*) FROM jobs") == "400")
        #expect(try query(database, "SELECT count(*) FROM (SELECT idempotency_key FROM jobs GROUP BY 1 HAVING count(*) > 1) AS s") == "0")
        #expect(try query(database, "SELECT count(*) FROM (SELECT lead_id FROM decisions GROUP BY run_id, lead_id HAVING count(*) > 1) AS s") == "0")
        #expect(try query(database, """
            SELECT count(*) FROM runs a JOIN runs b ON a.campaign_id = b.campaign_id AND a.fencing_token < b.fencing_token
            WHERE b.started_at < a.finished_at
            """) == "0")
        #expect(try query(database, "SELECT count(*) FROM runs WHERE status = 'running'") == "0")
        #expect(try query(database, "SELECT count(*) FROM leases WHERE owner IS NOT NULL") == "0")
        if !TestDatabase.isPostgres { #expect(try query(database, "PRAGMA integrity_check") == "ok") }
    }

    @Test("a held lease makes the tick exit 75 and a second --all with one busy campaign still ticks the other")
    func busyLease() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["campaign", "apply", try cli.write("b.yaml", campaignYAML(slug: "second"))]).status == 0)
        let database = cli.database
        _ = try query(database, "UPDATE leases SET owner = 'other-host:1:x', expires_at = '2999-01-01T00:00:00Z' WHERE campaign_id = 1")

        let busy = try cli.run(["tick", "q4-launch"])
        #expect(busy.status == 75)
        #expect(busy.stderr.contains("other-host:1:x"))
        let all = try cli.run(["tick", "--all"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("second: run"))
    }
}
