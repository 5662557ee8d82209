import Foundation
import OutreachTestSupport
import Testing

/// Live dispatch through real peers: a scriptable sendmail stand-in, msmtp to a real SMTP
/// server on 127.0.0.1, and a scripted HTTP API on 127.0.0.1.
@Suite("Live dispatch from the command line", .serialized)
struct LiveCLITests {
    /// A CLI with a live campaign using the sendmail stand-in, approved.
    func sendmailCampaign(leads: Int, codes: [Int32] = [], sleep: Double? = nil) throws -> (CLI, String) {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail(codes: codes, sleep: sleep)
        try cli.setUpCampaign(yaml: campaignYAML(transport: sendmail.transport), leads: leadsCSV(count: leads))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        return (cli, sendmail.folder)
    }

    func sentCount(_ state: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).filter { $0.hasSuffix(".eml") }.count
    }

    @Test("a live tick on an unapproved campaign exits 78; after approval it sends; a content change revokes it")
    func approval() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail()
        let state = sendmail.folder
        let yaml = campaignYAML(transport: sendmail.transport)
        try cli.setUpCampaign(yaml: yaml, leads: leadsCSV(count: 2))

        let refused = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("campaign approve"))
        #expect(sentCount(state) == 0)
        #expect(try cli.run(["tick", "q4-launch", "--mode", "live", "--dry-run"]).status == 0)
        #expect(sentCount(state) == 0, "a dry run sends nothing")

        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let show = try cli.run(["campaign", "show", "q4-launch"])
        #expect(show.stdout.contains("approved by Grace"))
        let sent = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sentCount(state) == 2)

        let changed = try cli.run(["campaign", "apply", try cli.write("changed.yaml", yaml.replacingOccurrences(of: "Hello {{first_name}}", with: "Hey {{first_name}}"))])
        #expect(changed.stdout.contains("no longer applies"))
        #expect(try cli.run(["tick", "q4-launch", "--mode", "live"]).status == 78)
        let status = try cli.run(["status", "--format", "json"])
        #expect(status.stdout.contains("\"approved\":false"))
    }

    @Test("sendmail exit codes: 75 retries, 67 fails and suppresses, 1 fails; the command's stderr is the job error")
    func sendmailExitCodes() throws {
        let (cli, state) = try sendmailCampaign(leads: 3, codes: [75, 67, 1])
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "2026-11-23T15:00:00Z"])
        #expect(tick.status == 0, "\(tick.stderr)")
        let database = cli.database
        #expect(try query(database, "SELECT group_concat(status, ',') FROM (SELECT status FROM jobs ORDER BY id) AS s") == "retry_scheduled,failed,failed")
        #expect(try query(database, "SELECT last_error FROM jobs WHERE id = 1").contains("scripted failure 75 for invocation 1"))
        #expect(try query(database, "SELECT status FROM leads WHERE id = 2") == "bounced")
        #expect(try query(database, "SELECT count(*) FROM suppressions WHERE value = 'lead2@example.org'") == "1")
        #expect(sentCount(state) == 3)

        // The retry goes out when due, with the same message.
        let due = try query(database, "SELECT next_attempt_at FROM jobs WHERE id = 1")
        let retry = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", due])
        #expect(retry.status == 0)
        #expect(try query(database, "SELECT status || ':' || attempt FROM jobs WHERE id = 1") == "sent:2")
        let first = try String(contentsOfFile: state + "/1.eml", encoding: .utf8)
        let second = try String(contentsOfFile: state + "/4.eml", encoding: .utf8)
        #expect(first == second, "a retry sends the stored message unchanged")
    }

    @Test("the kill switch turned on during a slow live tick stops it before its next send")
    func killSwitchStopsRunningTick() throws {
        let (cli, state) = try sendmailCampaign(leads: 5, sleep: 1.5)
        let tick = try cli.start(["tick", "q4-launch", "--mode", "live"])
        _ = try waitFor { FileManager.default.fileExists(atPath: state + "/started-1") ? true : nil }
        #expect(try cli.run(["kill-switch", "on", "--reason", "incident"]).status == 0)
        let result = tick.wait()
        #expect(result.status == 0)
        #expect(result.stdout.contains("stopped (kill_switch)"), "\(result.stdout)")
        #expect(sentCount(state) == 1)
        #expect(try cli.run(["kill-switch", "status"]).stdout.contains("ON"))
    }

    @Test("SIGKILL during a send: the next tick marks the job unknown, sends nothing twice, and the database is intact")
    func sigkillDuringSend() throws {
        let (cli, state) = try sendmailCampaign(leads: 3, sleep: 30)
        let tick = try cli.start(["tick", "q4-launch", "--mode", "live"])
        _ = try waitFor { FileManager.default.fileExists(atPath: state + "/started-1") ? true : nil }
        kill(tick.process.processIdentifier, SIGKILL)
        _ = tick.wait()
        if let pid = Int32((try? String(contentsOfFile: state + "/pid-1", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
            kill(pid, SIGKILL)
        }
        try FileManager.default.removeItem(atPath: state + "/sleep")
        let database = cli.database
        #expect(try query(database, "SELECT status FROM jobs WHERE id = 1") == "dispatching")

        // The killed tick's lease belongs to a dead process of this host: taken over at once.
        let next = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("1 unknown"))
        #expect(try query(database, "SELECT status FROM jobs WHERE id = 1") == "unknown")
        #expect(try query(database, "SELECT count(*) FROM jobs WHERE status = 'sent'") == "2")
        if !TestDatabase.isPostgres { #expect(try query(database, "PRAGMA integrity_check") == "ok") }
        #expect(try query(database, "SELECT status FROM runs ORDER BY fencing_token LIMIT 1") == "lease_lost")

        // Later ticks never re-send it; each address got at most one message.
        #expect(try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "2030-01-01T12:00:00Z"]).status == 0)
        let invocations = (1...sentCount(state) + 1).compactMap { try? String(contentsOfFile: state + "/\($0).eml", encoding: .utf8) }
        let keys = invocations.compactMap { $0.split(separator: "\r\n").first { $0.hasPrefix("X-Outreach-Key: ") } }
        #expect(keys.count == 4, "two intros, two follow-ups; the interrupted intro is not re-sent: \(keys)")
        #expect(Set(keys).count == keys.count, "no idempotency key was sent twice: \(keys)")
        let status = try cli.run(["status", "--format", "json"])
        #expect(status.stdout.contains("\"unknown_jobs\":1"))
    }

    /// Reported as skipped (not passed) without msmtp or aiosmtpd; `make test-deps` installs both.
    @Test("msmtp delivers to a real SMTP server on 127.0.0.1; hostile fields still make valid messages",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/msmtp"), "msmtp is not installed (Debian package msmtp)"),
          .enabled(if: LocalServer.hasAiosmtpd, "python3-aiosmtpd is not installed"))
    func msmtpToRealSMTP() throws {
        let cli = try CLI()
        let maildir = cli.path("maildir")
        let server = try #require(try LocalServer.smtp(maildir: maildir), "the SMTP server started")
        let command = "[msmtp, --host=127.0.0.1, --port=\(server.port), --auth=off, --tls=off, --from=ada@example.com, -t]"
        let yaml = campaignYAML(transport: "{ kind: sendmail, command: \(command), timeout: 20s }")
            .replacingOccurrences(of: "subject: \"Hello {{first_name}}\"",
                                  with: "subject: \"\(String(repeating: "Grüße ", count: 50)){{first_name}}\"")
        try cli.setUpCampaign(yaml: yaml, leads: """
            email,first_name
            ada@example.org,"Ada\r\nBcc: victim@example.net"
            zoe@example.org,Zoë Ünïcode
            """)
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(try query(cli.database, "SELECT group_concat(status) FROM jobs") == "sent,sent")

        let check = try python("""
            import email, mailbox, sys
            from email import policy
            box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
            messages = [email.message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]
            assert len(messages) == 2, len(messages)
            for message in messages:
                assert not message.defects, message.defects
                assert message.get_all('Bcc') is None
                assert str(message['Subject']).startswith('Grüße Grüße'), message['Subject']
                assert message['List-Unsubscribe-Post'] == 'List-Unsubscribe=One-Click'
                assert '1 Main St, Springfield' in message.get_content()
            print(sorted(str(m['To']) for m in messages))
            """, [maildir])
        #expect(check.contains("ada@example.org"))
        #expect(check.contains("Zoë Ünïcode <zoe@example.org>"))
    }

    @Test("HTTP: the same Idempotency-Key on every attempt, bearer token from the environment and never stored or logged")
    func httpRetriesKeepTheKey() throws {
        let cli = try CLI()
        let (server, log) = try LocalServer.http(in: cli.directory, script: ["503", "429", "200"])
        let token = "tok-\(UUID().uuidString)"
        cli.environment["OUTREACH_HTTP_TOKEN"] = token
        try cli.setUpCampaign(yaml: campaignYAML(transport: "{ kind: http, url: \"http://127.0.0.1:\(server.port)/send\", token_env: OUTREACH_HTTP_TOKEN, timeout: 5s }"),
                              leads: leadsCSV(count: 1))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let database = cli.database
        var outputs = ""
        var now = "2026-11-23T15:00:00Z"
        for _ in 0..<3 {
            let tick = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", now, "--artifacts", "out", "-v"])
            #expect(tick.status == 0, "\(tick.stderr)")
            outputs += tick.stdout + tick.stderr
            now = try query(database, "SELECT coalesce(next_attempt_at, '2026-12-01T00:00:00Z') FROM jobs WHERE id = 1")
        }
        let requests = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(requests.count == 3)
        // The key that leaves the machine carries this database's installation id (SPEC §9.4).
        let installation = try query(database, "SELECT installation_id FROM installation")
        #expect(installation.count == 16)
        #expect(Set(requests.map { $0["idempotency_key"] as! String }) == ["\(installation):1:1:intro:0"])
        #expect(requests.allSatisfy { $0["authorization"] as? String == "Bearer \(token)" })
        let body = requests[0]["body"] as! [String: Any]
        #expect(body["to"] as? String == "lead1@example.org")
        #expect(body["idempotency_key"] as? String == "\(installation):1:1:intro:0")
        #expect(try query(database, "SELECT status || ':' || attempt FROM jobs") == "sent:3")
        // The token appears in no database row, log line, output or artifact.
        let dump = try snapshot(database)
        #expect(!dump.contains(token))
        #expect(!outputs.contains(token))
        let artifacts = FileManager.default.enumerator(atPath: cli.path("out"))!.compactMap { $0 as? String }
        for file in artifacts {
            let text = (try? String(contentsOfFile: cli.path("out/" + file), encoding: .utf8)) ?? ""
            #expect(!text.contains(token), "\(file)")
        }
    }

    @Test("HTTP: 400 fails, an invalid-recipient 400 suppresses, a hung server is a transient timeout")
    func httpFailures() throws {
        let cli = try CLI()
        let (server, _) = try LocalServer.http(in: cli.directory, script: ["400", "invalid", "hang"])
        try cli.setUpCampaign(yaml: campaignYAML(transport: "{ kind: http, url: \"http://127.0.0.1:\(server.port)/send\", timeout: 2s }"),
                              leads: leadsCSV(count: 3))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let tick = try cli.run(["tick", "q4-launch", "--mode", "live"])
        #expect(tick.status == 0, "\(tick.stderr)")
        let database = cli.database
        #expect(try query(database, "SELECT group_concat(status, ',') FROM (SELECT status FROM jobs ORDER BY id) AS s") == "failed,failed,retry_scheduled")
        #expect(try query(database, "SELECT status FROM leads WHERE id = 2") == "bounced")
        #expect(try query(database, "SELECT count(*) FROM suppressions WHERE value = 'lead2@example.org'") == "1")
        #expect(try query(database, "SELECT last_error FROM jobs WHERE id = 1").hasPrefix("HTTP 400"))
    }
}
