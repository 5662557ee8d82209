import Foundation
import Testing
import OutreachCore

/// Proof artifacts as a reviewer meets them: read by Python's csv and email modules and by
/// the stock sqlite3 CLI.
@Suite("Artifacts from the command line")
struct ArtifactsCLITests {
    static let hostileLeads = """
        email,first_name,last_name,company
        -lead@example.com,"=HYPERLINK(""http://evil"")",Minus,Acme
        ada@example.org,"Ada\r\nBcc: victim@example.net",Lovelace,Acme
        zoe@example.org,Zoë,Ünïcode,Åcme
        pipe@example.org,x|y,"z\nw",Acme
        """

    static let longSubject = String(repeating: "Grüße aus Köln und ", count: 16) + "{{first_name}}"

    func run(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        let result = try cli.run(arguments)
        guard result.status == 0 else { throw CLIFailure(description: "\(arguments): \(result.status) \(result.stderr)") }
        return result
    }

    func artifactDirectory(_ cli: CLI, _ root: String) throws -> String {
        let base = cli.path(root + "/q4-launch")
        let runs = try FileManager.default.contentsOfDirectory(atPath: base)
        return base + "/" + runs[0]
    }

    @Test("tick --artifacts writes files that Python and sqlite3 read correctly, and export reproduces them")
    func artifactsReadByRealTools() throws {
        let cli = try CLI()
        let yaml = campaignYAML().replacingOccurrences(of: "subject: \"Hello {{first_name}}\"", with: "subject: \"\(Self.longSubject)\"")
        try cli.setUpCampaign(yaml: yaml, leads: Self.hostileLeads)
        _ = try run(cli, ["tick", "q4-launch", "--now", "2026-11-23T15:00:00Z", "--artifacts", "out"])
        let directory = try artifactDirectory(cli, "out")

        let csvCheck = try python("""
            import csv, sys
            rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
            assert rows[0] == ['lead_id','email','step_index','decision','reason','job_id','status_after','next_action_at'], rows[0]
            assert len(rows) == 5, len(rows)
            emails = [r[1] for r in rows[1:]]
            assert "'-lead@example.com" in emails, emails
            attempts = list(csv.reader(open(sys.argv[2], newline='', encoding='utf-8')))
            assert attempts[0] == ['job_id','idempotency_key','lead_id','email','step_id','step_index','status','attempt','next_attempt_at','error']
            assert all(len(r) == 10 for r in attempts), attempts
            print(len(attempts) - 1)
            """, [directory + "/leads.csv", directory + "/attempts.csv"])
        #expect(csvCheck.trimmingCharacters(in: .whitespacesAndNewlines) == "4")

        let emlCheck = try python("""
            import email, glob, sys
            from email import policy
            files = sorted(glob.glob(sys.argv[1] + '/messages/*.eml'))
            assert len(files) == 4, files
            for path in files:
                raw = open(path, 'rb').read()
                assert b'\\n' not in raw.replace(b'\\r\\n', b''), 'bare LF in ' + path
                message = email.message_from_bytes(raw, policy=policy.default)
                assert not message.defects, (path, message.defects)
                for name in ['Date', 'From', 'To', 'Message-ID', 'Subject', 'List-Unsubscribe', 'List-Unsubscribe-Post']:
                    assert len(message.get_all(name, [])) == 1, (path, name)
                assert message.get_all('Bcc') is None, path
                assert 'Grüße aus Köln' in str(message['Subject']), message['Subject']
                assert 'https://example.com/u/' in message['List-Unsubscribe'] and 'mailto:' in message['List-Unsubscribe']
                assert '1 Main St, Springfield' in message.get_content()
            print('ok')
            """, [directory])
        #expect(emlCheck.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

        let database = cli.database
        let proof = try String(contentsOfFile: directory + "/proof.sql", encoding: .utf8)
        let checks = try queryScript(database, proof)
        let lines = checks.split(separator: "\n")
        #expect(lines.count == ProofChecks.all.count)
        #expect(lines.allSatisfy { $0.hasSuffix("|0") }, "\(checks)")

        _ = try run(cli, ["export", "q4-launch", "--latest", "--out", "again"])
        let again = try artifactDirectory(cli, "again")
        for name in ["leads.csv", "attempts.csv", "proof.sql", "summary.md", "manifest.json"] {
            #expect(FileManager.default.contents(atPath: directory + "/" + name) == FileManager.default.contents(atPath: again + "/" + name),
                    "\(name) is byte-identical")
        }

        // A violation planted by hand shows up: an unsubscribe numbered before every job.
        _ = try query(database, "INSERT INTO unsubscribes (email, created_at, seq) VALUES ('zoe@example.org', '2026-11-23T14:00:00Z', 1)")
        #expect(try queryScript(database, proof).contains("jobs_for_unsubscribed|1"))
    }

    @Test("a dry run with artifacts changes nothing in the database")
    func dryRun() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        let database = cli.database
        let before = try query(database, "SELECT count(*) FROM runs; SELECT count(*) FROM jobs; SELECT group_concat(status) FROM leads; SELECT fencing_token FROM leases")
        let result = try run(cli, ["tick", "q4-launch", "--dry-run", "--artifacts", "dry"])
        #expect(result.stdout.contains("dry-run, rolled back"))
        #expect(result.stdout.contains("3 dispatched"))
        let directory = try artifactDirectory(cli, "dry")
        #expect(directory.hasSuffix("-dry"))
        #expect(try String(contentsOfFile: directory + "/leads.csv", encoding: .utf8).contains("dispatched"))
        #expect(try query(database, "SELECT count(*) FROM runs; SELECT count(*) FROM jobs; SELECT group_concat(status) FROM leads; SELECT fencing_token FROM leases") == before)
    }

    @Test("status prints the SPEC's keys, in a table and as JSON")
    func status() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        _ = try run(cli, ["tick", "q4-launch", "--limit", "2"])
        let json = try run(cli, ["status", "--format", "json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let status = try #require(objects.first)
        for key in ["slug", "status", "approved", "lease_owner", "lease_expires_at", "quota_used_today", "quota_remaining_today",
                    "due_now", "leads_by_status", "retries_pending", "unknown_jobs"] {
            #expect(status.keys.contains(key), "status has \(key)")
        }
        #expect(status["quota_used_today"] as? Int == 2)
        #expect(status["quota_remaining_today"] as? Int == 198)
        #expect(status["due_now"] as? Int == 1)
        #expect((status["leads_by_status"] as? [String: Int])?["active"] == 2)
        let table = try run(cli, ["status", "q4-launch"])
        #expect(table.stdout.contains("quota_used_today"))
        #expect(table.stdout.contains("q4-launch"))
    }

    @Test("demo builds a database, ticks once and points at artifacts whose checks pass")
    func demo() throws {
        let cli = try CLI()
        cli.environment["OUTREACH_UNSUB_SECRET"] = nil
        let result = try run(cli, ["demo", "--dir", "d", "--leads", "60"])
        #expect(result.stdout.contains("summary.md"))
        #expect(result.stdout.contains("dispatched"))
        let base = cli.path("d/artifacts/demo-launch")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: base).first)
        let proof = try String(contentsOfFile: base + "/" + run + "/proof.sql", encoding: .utf8)
        let checks = try queryScript(cli.path("d/outreach.sqlite"), proof)
        #expect(checks.split(separator: "\n").allSatisfy { $0.hasSuffix("|0") })
        let summary = try String(contentsOfFile: base + "/" + run + "/summary.md", encoding: .utf8)
        #expect(summary.contains("skipped_dnc"))
        #expect(summary.contains("All \(ProofChecks.all.count) proof checks passed"))
        // The next steps it prints work as printed.
        let suggested = try #require(result.stdout.split(separator: "\n").first { $0.contains("tick demo-launch") })
        #expect(suggested.contains("OUTREACH_UNSUB_SECRET=demo-only-secret"))
        let again = try cli.run(["tick", "demo-launch", "--db", cli.path("d/outreach.sqlite"), "--dry-run"],
                                environment: ["OUTREACH_UNSUB_SECRET": "demo-only-secret"])
        #expect(again.status == 0, "\(again.stderr)")
    }
}
