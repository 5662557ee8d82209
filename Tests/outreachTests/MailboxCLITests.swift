import Foundation
import Testing

/// SPEC §12 from the command line: mailbox files, shared caps under concurrent processes,
/// threaded follow-ups, blackout days and auto-pause, run through the built binary.
@Suite("Mailboxes from the command line")
struct MailboxCLITests {
    static let mailboxes = """
        mailboxes:
          - address: shared@example.com
            timezone: Europe/London
            daily_cap: 30
          - address: Warm@Example.net
            timezone: UTC
            daily_cap: 40
            warmup: { start: 5, increase: 2 }
            min_gap: 9m
            jitter: 5m
            guardrails: { hard_bounce_rate: 2%, min_sends: 20 }
        """

    /// A campaign file sending from `senders`, the step list given.
    static func campaign(slug: String, senders: [String], extra: String = "", window: String? = nil,
                         steps: String? = nil, transport: String = "{ kind: proof }") -> String {
        let file = campaignYAML(slug: slug, perTick: 1000, dailyQuota: 1000, transport: transport,
                                window: window ?? "{ days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", end: \"24:00\" }",
                                extra: extra)
            .replacingOccurrences(of: "sender: { from: \"Ada Lovelace <ada@example.com>\"",
                                  with: "sender: { from: [\(senders.map { "\"Ada <\($0)>\"" }.joined(separator: ", "))]")
        guard let steps else { return file }
        return String(file[..<file.range(of: "steps:")!.lowerBound]) + steps
    }

    @Test("mailbox apply, list, show, pause and resume; applying again changes nothing")
    func lifecycle() throws {
        let cli = try CLI()
        #expect(try cli.run(["migrate"]).status == 0)
        let file = try cli.write("mailboxes.yaml", Self.mailboxes)
        let applied = try cli.run(["mailbox", "apply", file])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout == "Created mailbox shared@example.com.\nCreated mailbox warm@example.net.\n")
        #expect(try cli.run(["mailbox", "apply", file]).stdout.contains("Unchanged mailbox warm@example.net."))

        let listed = try cli.run(["mailbox", "list", "--format", "json", "--now", "2026-11-23T10:00:00Z"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["address"] as? String } == ["shared@example.com", "warm@example.net"])
        #expect(rows[1]["allowance_today"] as? Int == 5, "warm-up day 0 allows `start`")
        #expect(rows[1]["warmup_day"] as? Int == 0)

        #expect(try cli.run(["mailbox", "pause", "warm@example.net", "--reason", "DNS change"]).status == 0)
        let shown = try cli.run(["mailbox", "show", "warm@example.net", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "paused")
        #expect(object["status_reason"] as? String == "DNS change")
        #expect(object["next_send_at"] is NSNull)
        #expect(try cli.run(["mailbox", "resume", "warm@example.net"]).status == 0)
        #expect(try cli.run(["mailbox", "show", "warm@example.net"]).stdout.contains("status:     active"))

        let missing = try cli.run(["mailbox", "show", "nobody@example.com"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("No mailbox nobody@example.com"))
    }

    @Test("a bad mailbox file is refused with its file, line and key (exit 78), and nothing is written", arguments: [
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 5, colour: red }", "mailboxes[0].colour: unknown key"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: -3 }", "mailboxes[0].daily_cap: must be 1 or more"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 50000 }", "mailboxes[0].daily_cap: 50000 a day is not a mailbox limit"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 5, min_gap: 25h }", "mailboxes[0].min_gap: is longer than a day"),
        ("  - { address: not-an-address, timezone: UTC, daily_cap: 5 }", "mailboxes[0].address:"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 5, warmup: { start: 10, increase: 1 } }", "mailboxes[0].warmup.start: 10 is more than daily_cap (5)"),
        ("  - { address: a@example.com, timezone: Mars/Olympus, daily_cap: 5 }", "mailboxes[0].timezone:"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 5 }\n  - { address: A@example.com, timezone: UTC, daily_cap: 6 }", "mailboxes[1].address: a@example.com is already listed"),
        ("  - { address: a@example.com, timezone: UTC, daily_cap: 5, guardrails: { hard_bounce_rate: 5 } }", "mailboxes[0].guardrails.hard_bounce_rate: '5' is not a percentage"),
    ])
    func badFiles(entry: String, expected: String) throws {
        let cli = try CLI()
        #expect(try cli.run(["migrate"]).status == 0)
        #expect(try cli.run(["mailbox", "apply", try cli.write("good.yaml", Self.mailboxes)]).status == 0)
        let database = cli.database
        let before = try snapshot(database)
        let result = try cli.run(["mailbox", "apply", try cli.write("bad.yaml", "# mailboxes\nmailboxes:\n\(entry)\n")])
        #expect(result.status == 78)
        #expect(result.stderr.contains("bad.yaml:"), "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1, "one sentence: \(result.stderr)")
        #expect(try snapshot(database) == before)
    }

    @Test("a campaign naming the same sender twice is refused (exit 78)")
    func sameSenderTwice() throws {
        let cli = try CLI()
        #expect(try cli.run(["migrate"]).status == 0)
        let file = try cli.write("c.yaml", Self.campaign(slug: "twice", senders: ["ada@example.com", "ADA@example.com"]))
        let result = try cli.run(["campaign", "apply", file])
        #expect(result.status == 78)
        #expect(result.stderr.contains("sender.from: ada@example.com is named twice"), "\(result.stderr)")
        #expect(try query(cli.database, "SELECT count(*) FROM campaigns") == "0")
    }

    @Test("two campaigns sharing a mailbox, ticked by 8 processes at once, never exceed its daily cap together")
    func sharedCapUnderConcurrency() throws {
        let cli = try CLI()
        #expect(try cli.run(["migrate"]).status == 0)
        #expect(try cli.run(["mailbox", "apply", try cli.write("m.yaml", Self.mailboxes)]).status == 0)
        for slug in ["alpha", "beta"] {
            #expect(try cli.run(["campaign", "apply", try cli.write("\(slug).yaml", Self.campaign(slug: slug, senders: ["shared@example.com"]))]).status == 0)
            #expect(try cli.run(["leads", "import", slug, try cli.write("\(slug).csv", leadsCSV(count: 60, domain: "\(slug).example.org"))]).status == 0)
        }
        // Each process runs four ticks of both campaigns, in alternating order, four leads per tick.
        // Each campaign may send 20 a day, so together they could send 40: the mailbox's 30 binds.
        for slug in ["alpha", "beta"] {
            let file = Self.campaign(slug: slug, senders: ["shared@example.com"])
                .replacingOccurrences(of: "per_tick: 1000", with: "per_tick: 4").replacingOccurrences(of: "daily_quota: 1000", with: "daily_quota: 20")
            #expect(try cli.run(["campaign", "apply", try cli.write("\(slug).yaml", file)]).status == 0)
        }
        let running = try (0..<8).map { index in
            try cli.start(["run"] + (index % 2 == 0 ? ["alpha", "beta"] : ["beta", "alpha"]) + ["--ticks", "4", "--interval-seconds", "0"])
        }
        let results = running.map { $0.wait() }
        for result in results { #expect(result.status == 0 || result.status == 75, "\(result.status): \(result.stderr)") }
        let database = cli.database
        #expect(Int(try query(database, "SELECT count(*) FROM jobs")) ?? 99 <= 30, "never past the shared cap while they race")
        // Whatever the race left, more ticks fill the day exactly to the cap, never past it.
        #expect(try cli.run(["run", "alpha", "beta", "--ticks", "10", "--interval-seconds", "0"]).status == 0)
        #expect(try query(database, "SELECT count(*) FROM jobs") == "30", "the shared cap of 30, over both campaigns")
        let split = try query(database, "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM jobs GROUP BY campaign_id) AS s")
        #expect(split.split(separator: ",").allSatisfy { (10...20).contains(Int($0) ?? 0) } && split.contains(","), "both sent: \(split)")
        #expect(try query(database, "SELECT sent_today FROM mailboxes WHERE address = 'shared@example.com'") == "30")
        #expect(try query(database, "SELECT count(*) FROM decisions WHERE decision = 'skipped_mailbox_cap'") != "0")
        // Postponed leads wait for the next day of the mailbox's zone, not for ever.
        #expect(try query(database, "SELECT count(*) FROM leads WHERE status = 'new' AND next_action_at IS NULL") == "0")
        let verified = try cli.run(["verify"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("a step without a subject is sent as a reply in the lead's thread, from the lead's first mailbox")
    func threadedFollowUp() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail()
        #expect(try cli.run(["migrate"]).status == 0)
        #expect(try cli.run(["mailbox", "apply", try cli.write("m.yaml", Self.mailboxes)]).status == 0)
        let steps = """
            steps:
              - { id: intro, delay: 0h, subject: "Hello {{first_name}}", body: "Hi {{first_name}}." }
              - { id: nudge, delay: 1h, body: "Bumping this, {{first_name}}." }
            """
        let file = Self.campaign(slug: "q4-launch", senders: ["warm@example.net", "shared@example.com"], steps: steps,
                                 transport: sendmail.transport)
        try cli.setUpCampaign(yaml: file, leads: leadsCSV(count: 2))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "test"]).status == 0)
        #expect(try cli.run(["tick", "q4-launch", "--mode", "live", "--artifacts", cli.path("art")]).status == 0)
        // The summary's mailbox table, read from the send ledger, and what `leads show` says of the next step.
        let runs = try FileManager.default.contentsOfDirectory(atPath: cli.path("art/q4-launch"))
        let summary = try String(contentsOfFile: cli.path("art/q4-launch/\(runs[0])/summary.md"), encoding: .utf8)
        #expect(summary.contains("| shared@example.com | 2 |"), "\(summary)")
        #expect(summary.contains("| 2 / 30 |"), "\(summary)")
        let later = isoTimestamp(Date().addingTimeInterval(25 * 3600))  // after the 24 h cooldown
        let shown = try cli.run(["leads", "show", "q4-launch", "lead1@example.org", "--now", later])
        #expect(shown.stdout.contains("step 2 (nudge) from shared@example.com"), "\(shown.stdout)")
        #expect(shown.stdout.contains("the address of its first message"), "\(shown.stdout)")
        #expect(try cli.run(["tick", "q4-launch", "--mode", "live", "--now", later]).status == 0)

        let messages = try FileManager.default.contentsOfDirectory(atPath: sendmail.folder).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(messages.count == 4)
        let texts = try messages.map { try String(contentsOfFile: sendmail.folder + "/" + $0, encoding: .utf8) }
        func header(_ text: String, _ name: String) -> String? {
            text.components(separatedBy: "\r\n").first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
        }
        let firsts = texts.filter { header($0, "Subject")?.hasPrefix("Hello") == true }
        #expect(firsts.count == 2, "one first message per lead; the two others are replies")
        for first in firsts {
            let to = header(first, "To")
            let reply = try #require(texts.first { header($0, "To") == to && $0 != first })
            #expect(header(reply, "Subject") == "Re: " + header(first, "Subject")!)
            #expect(header(reply, "In-Reply-To") == header(first, "Message-ID"))
            #expect(header(reply, "References") == header(first, "Message-ID"))
            #expect(header(reply, "From") == header(first, "From"), "the lead keeps its mailbox")
        }
        // Rotation at the first message: the shared mailbox (30 left) beats the warming one (5 left).
        #expect(texts.allSatisfy { header($0, "From") == "Ada <shared@example.com>" })
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("no sending on a blackout day: the run stops outside the window, the next day it sends")
    func skipDates() throws {
        let cli = try CLI()
        let tomorrow = Date().addingTimeInterval(86_400)
        let day = String(isoTimestamp(tomorrow).prefix(10))
        let window = "{ days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", end: \"24:00\", skip_dates: [\(day)] }"
        try cli.setUpCampaign(yaml: campaignYAML(window: window), leads: leadsCSV(count: 2))
        let blocked = try cli.run(["tick", "q4-launch", "--now", day + "T12:00:00Z"])
        #expect(blocked.status == 0)
        #expect(blocked.stdout.contains("outside_window"), "\(blocked.stdout)")
        #expect(try query(cli.database, "SELECT count(*) FROM jobs") == "0")
        let next = String(isoTimestamp(tomorrow.addingTimeInterval(86_400)).prefix(10))
        #expect(try cli.run(["tick", "q4-launch", "--now", next + "T00:00:01Z"]).status == 0)
        #expect(try query(cli.database, "SELECT count(*) FROM jobs") == "2")
    }

    @Test("hard bounces from events import auto-pause the campaign and its mailbox with the rates; only resume lifts it")
    func autoPause() throws {
        let cli = try CLI()
        #expect(try cli.run(["migrate"]).status == 0)
        let mailbox = """
            mailboxes:
              - { address: ada@example.com, timezone: UTC, daily_cap: 100, guardrails: { hard_bounce_rate: 10%, min_sends: 8 } }
            """
        #expect(try cli.run(["mailbox", "apply", try cli.write("m.yaml", mailbox)]).status == 0)
        let file = campaignYAML(dailyQuota: 1000, extra: "guardrails: { hard_bounce_rate: 20%, complaint_rate: 1%, min_sends: 10, window: 2d }")
        try cli.setUpCampaign(yaml: file, leads: leadsCSV(count: 12))
        #expect(try cli.run(["tick", "q4-launch"]).status == 0)
        let now = isoTimestamp(Date())
        let events = (1...3).map { "{\"id\":\"b\($0)\",\"type\":\"bounce\",\"bounce\":\"hard\",\"email\":\"lead\($0)@example.org\",\"at\":\"\(now)\"}" }
        let imported = try cli.run(["events", "import", try cli.write("bounces.jsonl", events.joined(separator: "\n") + "\n")])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("auto-paused"), "\(imported.stdout)")

        let status = try cli.run(["status", "q4-launch", "--format", "json"])
        let object = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(object["status"] as? String == "paused")
        #expect(object["auto_paused"] as? Bool == true)
        let reason = object["status_reason"] as? String ?? ""
        #expect(reason.contains("hard-bounce rate 25% (3 of 12 sends) reached the 20% limit"), "\(reason)")
        let shown = try cli.run(["mailbox", "show", "ada@example.com", "--format", "json"])
        let mailboxObject = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(mailboxObject["status"] as? String == "paused")
        #expect(mailboxObject["auto_paused"] as? Bool == true)

        let metrics = cli.path("metrics.prom")
        let paused = try cli.run(["tick", "q4-launch", "--metrics-file", metrics])
        #expect(paused.stdout.contains("paused"), "\(paused.stdout)")
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("outreach_campaign_auto_paused{campaign=\"q4-launch\"} 1"))
        #expect(text.contains("outreach_mailbox_paused{mailbox=\"ada@example.com\"} 1"))
        #expect(text.contains("outreach_campaign_hard_bounce_rate{campaign=\"q4-launch\"} 0.25"))

        // Only a resume lifts it, and the rates then count from the resume: the old bounces no longer pause it.
        #expect(try cli.run(["campaign", "resume", "q4-launch"]).status == 0)
        #expect(try cli.run(["mailbox", "resume", "ada@example.com"]).status == 0)
        let later = isoTimestamp(Date().addingTimeInterval(4 * 86_400))
        let resumed = try cli.run(["tick", "q4-launch", "--now", later])
        #expect(resumed.status == 0)
        #expect(try query(cli.database, "SELECT status FROM campaigns") == "active")
        #expect(try query(cli.database, "SELECT count(*) FROM jobs WHERE step_id = 'followup1'") == "9",
                "the 9 leads that did not bounce get their follow-up: \(resumed.stdout) \(resumed.stderr)")
    }
}

/// ISO 8601 UTC with whole seconds, as `--now` takes it.
func isoTimestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
