import Foundation
import Testing

/// Operators' conventions and the newcomer's path (SPEC §14), run as a user runs them.
@Suite("Operators' conventions", .serialized)
struct ConventionsCLITests {
    /// Every line of a stream as a JSON object (the test fails on any line that is not one).
    private func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test("demo never overwrites: a folder with anything in it is refused with 73 and left as it was; --db is refused")
    func demoNeverOverwrites() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        let database = cli.database
        let before = try snapshot(database)
        let refused = try cli.run(["demo", "--dir", "."])
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("never overwrites"))
        #expect(try snapshot(database) == before)
        #expect(try String(contentsOfFile: cli.path("leads.csv"), encoding: .utf8) == leadsCSV(count: 3))
        #expect(!FileManager.default.fileExists(atPath: cli.path("campaign.yaml.tmp")))

        let withDB = try cli.run(["demo", "--dir", "fresh", "--db", "other.sqlite"])
        #expect(withDB.status == 64)
        #expect(withDB.stderr.contains("takes no --db"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("fresh")))

        try FileManager.default.createDirectory(atPath: cli.path("empty"), withIntermediateDirectories: true)
        let fresh = try cli.run(["demo", "--dir", "empty", "--leads", "20"])
        #expect(fresh.status == 0, "an empty folder is fine: \(fresh.stderr)")
        let again = try cli.run(["demo", "--dir", "empty", "--leads", "20"])
        #expect(again.status == 73)
    }

    @Test("--log-format json: every line on stdout and stderr is a JSON object with typed values, results included")
    func jsonEverywhere() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["campaign", "apply", try cli.write("draft.yaml", campaignYAML(slug: "draft"))]).status == 0)
        let tick = try cli.run(["--log-format", "json", "tick", "q4-launch", "--artifacts", "art"])
        #expect(tick.status == 0, "\(tick.stderr)")
        let results = try jsonLines(tick.stdout)
        let summary = try #require(results.first { $0["run_id"] != nil && $0["dispatched"] != nil })
        #expect(summary["dispatched"] as? Int == 3)
        #expect(summary["dry_run"] as? Bool == false)
        #expect(summary["stop_reason"] is NSNull, "absent values are null")
        #expect(summary["campaign"] as? String == "q4-launch")
        #expect(results.contains { $0["checks_passed"] as? Bool == true }, "the artifacts line is typed too")
        let logs = try jsonLines(tick.stderr)
        let finished = try #require(logs.first { $0["msg"] as? String == "tick finished" })
        #expect(finished["dispatched"] as? Int == 3)
        #expect(finished["stop_reason"] is NSNull)

        // An error is one JSON line with its exit code; so is a usage error.
        let unapproved = try cli.run(["tick", "draft", "--mode", "live", "--log-format", "json"])
        #expect(unapproved.status == 78)
        let error = try #require(try jsonLines(unapproved.stderr).last)
        #expect(error["level"] as? String == "error")
        #expect(error["exit_code"] as? Int == 78)
        let usage = try cli.run(["--log-format", "json", "tick", "--bogus"])
        #expect(usage.status == 64)
        #expect(try jsonLines(usage.stderr).first?["exit_code"] as? Int == 64)
        // Listings become one object per row.
        let jobs = try cli.run(["--log-format", "json", "jobs", "list", "q4-launch"])
        #expect(try jsonLines(jobs.stdout).count == 3)
    }

    @Test("tick --all --mode live passes over unapproved campaigns (warning, metric, exit 0); named, it still exits 78")
    func allLiveSkipsDrafts() throws {
        let cli = try CLI()
        let transport = try cli.fakeSendmail().transport
        try cli.setUpCampaign(yaml: campaignYAML(transport: transport))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        #expect(try cli.run(["campaign", "apply", try cli.write("draft.yaml", campaignYAML(slug: "draft", transport: transport))]).status == 0)
        let database = cli.database

        let all = try cli.run(["tick", "--all", "--mode", "live", "--metrics-file", "m.prom"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.contains("passed over: campaign draft is not approved"))
        #expect(all.stdout.contains("q4-launch: run"))
        #expect(!all.stdout.contains("draft: run"))
        #expect(try query(database, "SELECT count(*) FROM runs r JOIN campaigns c ON c.id = r.campaign_id WHERE c.slug = 'draft'") == "0",
                "no stopped run is recorded for the draft")
        let metrics = try String(contentsOfFile: cli.path("m.prom"), encoding: .utf8)
        #expect(metrics.contains("outreach_campaign_approved{campaign=\"draft\"} 0"))
        #expect(metrics.contains("outreach_campaign_approved{campaign=\"q4-launch\"} 1"))
        #expect(metrics.contains("outreach_last_success_timestamp_seconds{campaign=\"draft\"} 0"), "a campaign that never succeeded reads 0")

        let named = try cli.run(["tick", "draft", "--mode", "live"])
        #expect(named.status == 78)
    }

    @Test("global options work before the subcommand; a mistyped command gets a suggestion; OUTREACH_NOW is named")
    func globalOptionsAndHints() throws {
        let cli = try CLI()
        #expect(try cli.run(["--db", "elsewhere.sqlite", "migrate"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.path("elsewhere.sqlite")))
        #expect(try cli.run(["--db=elsewhere.sqlite", "-q", "campaign", "apply", try cli.write("c.yaml", campaignYAML())]).status == 0)
        let status = try cli.run(["--db", "elsewhere.sqlite", "--now", "2026-11-23T10:00:00Z", "status", "--format", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("q4-launch"))

        let typo = try cli.run(["tikc", "q4-launch"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("Did you mean `outreach tick`?"))
        let badNow = try cli.run(["status", "--db", "elsewhere.sqlite"], environment: ["OUTREACH_NOW": "garbage"])
        #expect(badNow.status == 64)
        #expect(badNow.stderr.contains("OUTREACH_NOW 'garbage'"))
        #expect(!badNow.stderr.contains("--now 'garbage'"))
    }

    @Test("a semicolon-separated lead file is refused with a hint about the separator")
    func semicolonCSV() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        let result = try cli.run(["leads", "import", "q4-launch", try cli.write("eu.csv", "email;first_name\nx@example.org;X\n")])
        #expect(result.status == 65)
        #expect(result.stderr.contains("separated by ';'"), "\(result.stderr)")
    }

    @Test("--artifacts writes a folder only when the run considered a lead; --artifacts-always forces one")
    func artifactsOnlyWhenConsidered() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["tick", "q4-launch", "--artifacts", "art"]).status == 0)
        let folder = cli.path("art/q4-launch")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 1)
        let idle = try cli.run(["tick", "q4-launch", "--artifacts", "art"])
        #expect(idle.status == 0)
        #expect(!idle.stdout.contains("artifacts:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 1, "nothing was due: no folder")
        #expect(try cli.run(["tick", "q4-launch", "--artifacts", "art", "--artifacts-always"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 2)
        #expect(try cli.run(["tick", "q4-launch", "--artifacts-always"]).status == 64, "--artifacts-always needs --artifacts")
    }

    @Test("artifacts prune removes old run folders, keeps the newest and young ones, and leaves anything foreign alone")
    func artifactsPrune() throws {
        let cli = try CLI()
        try cli.setUpCampaign(yaml: campaignYAML(perTick: 1), leads: leadsCSV(count: 5))
        for day in 1...5 {
            let result = try cli.run(["tick", "q4-launch", "--artifacts", "art", "--now", "2026-12-0\(day)T10:00:00Z"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let folder = cli.path("art/q4-launch")
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(runs.count == 5)
        // A foreign folder with a run-like name and a stray file must survive.
        try FileManager.default.createDirectory(atPath: folder + "/20260901T000000Z-c9-t9", withIntermediateDirectories: true)
        try "keep me".write(toFile: folder + "/20260901T000000Z-c9-t9/notes.txt", atomically: true, encoding: .utf8)

        let dry = try cli.run(["artifacts", "prune", "art", "--keep-days", "30", "--keep", "2", "--dry-run",
                               "--now", "2027-01-20T00:00:00Z"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("Would remove 3 of 6"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 6)

        let pruned = try cli.run(["artifacts", "prune", "art", "--keep-days", "30", "--keep", "2", "--now", "2027-01-20T00:00:00Z",
                                  "--format", "json"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(left == (Array(runs.suffix(2)) + ["20260901T000000Z-c9-t9"]).sorted(), "\(left)")
        #expect(pruned.stdout.contains("\"action\":\"left_alone\""))

        let young = try cli.run(["artifacts", "prune", "art", "--keep-days", "365", "--keep", "0", "--now", "2027-01-20T00:00:00Z"])
        #expect(young.stdout.contains("Removed 0 of 3"))
        #expect(try cli.run(["artifacts", "prune", "nowhere"]).status == 66)
    }

    @Test("summary.md calls a failed attempt what it is and shows no escaped backticks; steps count from 1 for people")
    func summaryWordingAndSteps() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail(codes: [75, 75])
        try cli.setUpCampaign(yaml: campaignYAML(transport: sendmail.transport), leads: leadsCSV(count: 2))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live", "--artifacts", "art"])
        #expect(tick.status == 0, "\(tick.stderr)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: cli.path("art/q4-launch")).first)
        let summary = try String(contentsOfFile: cli.path("art/q4-launch/\(run)/summary.md"), encoding: .utf8)
        #expect(summary.contains("2 of 2 leads considered were handed to the transport (2 left waiting for a retry)"), "\(summary.prefix(600))")
        #expect(!summary.contains("and sent"))
        #expect(!summary.contains("\\`"), "no escaped backticks in our own prose")
        #expect(summary.contains("`unknown`"))

        let show = try cli.run(["campaign", "show", "q4-launch"])
        #expect(show.stdout.contains("step 1 (intro)"))
        #expect(show.stdout.contains("step 2 (followup1)"))
        let lead = try cli.run(["leads", "show", "q4-launch", "lead1@example.org"])
        #expect(lead.stdout.contains("step 1 (intro)"))
        #expect(!lead.stdout.contains("step 0"))
    }

    @Test("--format on leads show, migrate --status and kill-switch status")
    func formatEverywhere() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        #expect(try cli.run(["tick", "q4-launch"]).status == 0)
        let lead = try cli.run(["leads", "show", "q4-launch", "lead1@example.org", "--format", "json"])
        #expect(lead.status == 0, "\(lead.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lead.stdout.utf8)) as? [String: Any])
        #expect(object["email"] as? String == "lead1@example.org")
        #expect(object["steps_sent"] as? Int == 1)
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        #expect(jobs.first?["step"] as? Int == 1)
        #expect(jobs.first?["step_index"] as? Int == 0)
        let csv = try cli.run(["leads", "show", "q4-launch", "lead1@example.org", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("field,value\r\n"))
        #expect(csv.stdout.contains("email,lead1@example.org"))

        let migrate = try cli.run(["migrate", "--status", "--format", "json"])
        #expect(migrate.status == 0)
        #expect(migrate.stdout.contains("{\"migration\":\"0001_init\",\"state\":\"applied\"}"))
        let kill = try cli.run(["kill-switch", "status", "--format", "json"])
        #expect(kill.status == 0)
        let state = try #require(try JSONSerialization.jsonObject(with: Data(kill.stdout.utf8)) as? [String: Any])
        #expect(state["enabled"] as? Bool == false)
        #expect(state["reason"] is NSNull)
    }

    @Test("leads forget erases a person everywhere, keeps only a hash, and they are never imported or contacted again")
    func forget() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: "email,first_name,company,team\nlead1@example.org,Ada,Acme,data\nlead2@example.org,Bob,Initech,ops\n")
        #expect(try cli.run(["campaign", "apply", try cli.write("b.yaml", campaignYAML(slug: "second"))]).status == 0)
        #expect(try cli.run(["leads", "import", "second", cli.path("leads.csv")]).status == 0)
        #expect(try cli.run(["tick", "--all"]).status == 0)
        #expect(try cli.run(["suppress", "add", "--email", "lead1@example.org", "--reason", "asked"]).status == 0)
        let events = try cli.write("e.jsonl", "{\"id\":\"r1\",\"type\":\"reply\",\"email\":\"lead1@example.org\",\"at\":\"2026-11-23T16:00:00Z\"}\n")
        #expect(try cli.run(["events", "import", events]).status == 0)

        let database = cli.database
        let jobsBefore = try query(database, "SELECT count(*) FROM jobs WHERE lead_id IN (SELECT id FROM leads WHERE email = 'lead1@example.org')")
        #expect(jobsBefore != "0")
        let forget = try cli.run(["leads", "forget", "Lead1@Example.org"])
        #expect(forget.status == 0, "\(forget.stderr)")
        #expect(forget.stdout.contains("2 lead(s) in 2 campaign(s) blanked"))
        #expect(!forget.stdout.contains("lead1@example.org"), "the address is not repeated into logs")
        let dump = try snapshot(database)
        #expect(!dump.lowercased().contains("lead1@example.org"), "the address is nowhere in the database")
        #expect(!dump.contains("Acme"))
        #expect(dump.contains("lead2@example.org"), "other people are untouched")
        #expect(try query(database, "SELECT count(*) FROM forgotten") == "1")

        // Never imported, never stored again, never contacted again.
        let reimport = try cli.run(["leads", "import", "q4-launch", cli.path("leads.csv")])
        #expect(reimport.status == 0)
        #expect(reimport.stdout.contains("1 skipped (forgotten people"))
        #expect(try cli.run(["events", "import", try cli.write("e2.jsonl", "{\"id\":\"b9\",\"type\":\"complaint\",\"email\":\"lead1@example.org\",\"at\":\"2026-11-24T16:00:00Z\"}\n")]).status == 0)
        #expect(try cli.run(["unsubscribe", "add", "lead1@example.org"]).status == 0)
        #expect(!(try snapshot(database)).contains("lead1@example.org"))
        let tick = try cli.run(["tick", "--all", "--now", "2026-12-30T10:00:00Z"])
        #expect(tick.status == 0)
        #expect(try query(database, "SELECT count(*) FROM jobs j JOIN leads l ON l.id = j.lead_id WHERE l.email LIKE 'forgotten-%'") == jobsBefore,
                "the forgotten leads got nothing more than their first message")
        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "verify still passes: \(verify.stdout)\(verify.stderr)")
        let again = try cli.run(["leads", "forget", "lead1@example.org", "--now", "2026-12-30T10:05:00Z"])
        #expect(again.stdout.contains("Already forgotten"))
        #expect(try cli.run(["leads", "forget", "not-an-address", "--now", "2026-12-30T10:05:00Z"]).status == 65)
    }
}
