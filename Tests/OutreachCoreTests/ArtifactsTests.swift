import Foundation
import GRDB
import Testing
@testable import OutreachCore
import OutreachTestSupport

/// Proof artifacts (SPEC §6): pure functions of the database, honest checks that catch
/// planted violations, safe CSV and Markdown, safe paths.
@Suite("Proof artifacts")
struct ArtifactsTests {
    /// A campaign with a few leads of every kind, ticked once.
    func tickedFixture() throws -> (Fixture, TickReport) {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.importLeads("""
            email,first_name,company,dnc
            ada@example.org,Ada,Acme,
            bob@example.org,Bob,Acme,
            dnc@example.org,Dee,Acme,true
            gone@example.org,Gone,Acme,
            rival@rival.example,Rival,Rival,
            """)
        try fixture.store.write("lists") { db in
            try ListQueries.addUnsubscribe(db, email: "gone@example.org", campaignID: nil, source: nil, now: fixture.clock.now())
            _ = try ListQueries.addSuppression(db, kind: .domain, value: "rival.example", reason: nil, until: nil, now: fixture.clock.now())
        }
        return (fixture, try fixture.tick())
    }

    func export(_ fixture: Fixture, _ runID: String, to folder: String) throws -> ProofArtifacts.Written {
        try fixture.store.read("export") { db in
            try ProofArtifacts.export(db, campaign: try CampaignQueries.require(db, slug: "q4-launch"), runID: runID,
                                      root: fixture.directory.appendingPathComponent(folder).path)
        }
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test("the export writes every file, and exporting again later gives the same bytes")
    func reproducible() throws {
        let (fixture, report) = try tickedFixture()
        let first = try export(fixture, report.runID, to: "one")
        // Later activity must not change a past run's artifacts.
        fixture.clock.advance(days: 4)
        try fixture.addLeads(["new@example.org"])
        try fixture.tick()
        let second = try export(fixture, report.runID, to: "two")

        for name in ["leads.csv", "attempts.csv", "proof.sql"] {
            #expect(try read(first.directory + "/" + name) == read(second.directory + "/" + name), "\(name) is identical")
        }
        let leads = try read(first.directory + "/leads.csv")
        #expect(leads.hasPrefix("lead_id,email,step_index,decision,reason,job_id,status_after,next_action_at\r\n"))
        #expect(leads.contains(",dnc@example.org,0,skipped_dnc,"))
        #expect(leads.contains(",rival@rival.example,0,skipped_suppressed_domain,"))
        let attempts = try read(first.directory + "/attempts.csv")
        #expect(attempts.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 3, "\(attempts)")
        #expect(FileManager.default.fileExists(atPath: first.directory + "/messages/job-1.eml"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first.directory + "/manifest.json"))) as! [String: Any]
        let files = manifest["files"] as! [[String: Any]]
        #expect(Set(files.map { $0["path"] as! String }) == ["leads.csv", "attempts.csv", "proof.sql", "summary.md", "messages/job-1.eml", "messages/job-2.eml"])
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: first.directory + "/" + (file["path"] as! String)))
            #expect(file["size"] as? Int == data.count)
            #expect(file["sha256"] as? String == SHA256Digest.hex(of: data))
        }
        #expect(manifest["run_id"] as? String == report.runID)
        #expect(manifest["schema_version"] as? Int == SchemaMigrations.currentVersion)
        #expect(first.checksPassed)
    }

    @Test("proof.sql only reads")
    func proofIsReadOnly() throws {
        let script = ProofChecks.script(campaignID: 1, slug: "x", runID: "20261123T150000Z-c1-t1", dialect: .sqlite)
        for word in ["INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "REPLACE", "ATTACH", "VACUUM"] {
            #expect(!script.uppercased().contains(word + " "), "no \(word)")
        }
        #expect(script.contains("PRAGMA query_only = ON;"))
        #expect(script.components(separatedBy: "\nSELECT '").count - 1 == ProofChecks.all.count)
    }

    /// Runs the checks and returns the violations of one.
    func violations(_ fixture: Fixture, _ name: String, runID: String) throws -> Int {
        try fixture.store.read("checks") { db in
            try ProofChecks.run(db, campaignID: 1, runID: runID).first { $0.check.name == name }!.violations
        }
    }

    @Test("an honest database passes every check, and each planted violation is caught", arguments: [
        // An opt-out committed before the job was created (commit-order number 1: before everything).
        ("jobs_for_unsubscribed", "INSERT INTO unsubscribes (email, campaign_id, created_at, seq) VALUES ('ada@example.org', NULL, '2026-11-23T14:00:00Z', 1)"),
        ("jobs_for_unsubscribed", "INSERT INTO unsubscribes (email, campaign_id, created_at, seq) VALUES ('ada@example.org', 1, '2026-11-23T14:59:59Z', 1)"),
        ("jobs_for_suppressed_email", "INSERT INTO suppressions (kind, value, created_at, seq) VALUES ('email', 'bob@example.org', '2026-11-01T00:00:00Z', 1)"),
        ("jobs_for_suppressed_domain", "INSERT INTO suppressions (kind, value, created_at, seq) VALUES ('domain', 'example.org', '2026-11-01T00:00:00Z', 1)"),
        // A job moved onto a lead marked do-not-contact before it.
        ("jobs_for_dnc_leads", "UPDATE leads SET dnc_seq = 1 WHERE email = 'dnc@example.org'; UPDATE jobs SET lead_id = (SELECT id FROM leads WHERE email = 'dnc@example.org') WHERE id = 1"),
        // A job inserted by hand for a DNC lead.
        ("jobs_for_dnc_leads", """
            INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, created_at, updated_at)
            SELECT 1, id, (SELECT id FROM runs), '1:' || id || ':intro:0', 'intro', 0, 'proof', 'proof', 'sent_proof', '2026-11-23T16:00:00Z', '2026-11-23T16:00:00Z'
            FROM leads WHERE email = 'dnc@example.org'
            """),
        ("jobs_without_decision", """
            INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, created_at, updated_at)
            SELECT 1, id, (SELECT id FROM runs), 'planted', 'followup1', 1, 'proof', 'proof', 'sent_proof', '2026-11-23T16:00:00Z', '2026-11-23T16:00:00Z'
            FROM leads WHERE email = 'ada@example.org'
            """),
        // Overlapping run rows.
        ("overlapping_runs", """
            INSERT INTO runs (id, campaign_id, mode, status, owner, fencing_token, started_at, finished_at, per_tick_limit, daily_quota, quota_day, content_hash, tool_version, seq, finished_seq)
            VALUES ('planted-run', 1, 'proof', 'completed', 'x', 99, '2026-11-23T14:59:00Z', '2026-11-23T15:30:00Z', 25, 200, '2026-11-23', 'h', 'v', 1, 1000000)
            """),
        ("leads_advanced_without_job", "UPDATE leads SET step_index = 2 WHERE email = 'ada@example.org'"),
        ("daily_quota_exceeded", "UPDATE runs SET daily_quota = 1"),
        ("per_tick_limit_exceeded", "UPDATE runs SET per_tick_limit = 1"),
        ("run_counts_match", "UPDATE runs SET dispatched = 7"),
        ("keys_sent_twice", """
            INSERT INTO decisions (run_id, campaign_id, lead_id, step_index, decision, job_id, job_status, attempt, quota_day, status_after, decided_at)
            SELECT 'planted-run-2', 1, 1, 0, 'retry_dispatched', 1, 'sent', 2, '2026-11-23', 'active', '2026-11-23T15:00:00Z'
            """),
        ("duplicate_idempotency_keys", "(rebuilt below)"),
        ("same_step_twice", "(rebuilt below)"),
    ])
    func plantedViolations(check: String, plant: String) throws {
        let (fixture, report) = try tickedFixture()
        for other in ProofChecks.all {
            #expect(try violations(fixture, other.name, runID: report.runID) == 0, "\(other.name) is 0 before planting")
        }
        if TestDatabase.isPostgres {
            // A tampered database: the rows as planted (through the triggers, as on SQLite), UNIQUE keys
            // dropped, and a decision allowed to name a run that does not exist (SQLite: foreign keys off).
            let tamper = check == "duplicate_idempotency_keys" || check == "same_step_twice"
                ? """
                  ALTER TABLE jobs DROP CONSTRAINT jobs_idempotency_key_key; ALTER TABLE jobs DROP CONSTRAINT jobs_lead_id_step_id_duplicate_of_key;
                  INSERT INTO jobs SELECT id + 100, campaign_id, lead_id, run_id, \(check == "same_step_twice" ? "idempotency_key || ':again'" : "idempotency_key"),
                      step_id, step_index, mode, transport, status, attempt, next_attempt_at, last_error, created_at, updated_at, seq, ambiguous,
                      duplicate_of, sender FROM jobs WHERE id = 1
                  """
                : plant
            let result = try PostgresTestServer.psql(fixture.path, "ALTER TABLE decisions DROP CONSTRAINT decisions_run_id_fkey; " + tamper)
            #expect(result.status == 0, "\(result.output)")
        } else {
            try plantInSQLite(fixture, check: check, plant: plant)
        }
        #expect(try violations(fixture, check, runID: report.runID) > 0, "\(check) catches the planted row")
    }

    private func plantInSQLite(_ fixture: Fixture, check: String, plant: String) throws {
        try DatabaseQueue(path: fixture.path).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            if check == "duplicate_idempotency_keys" || check == "same_step_twice" {
                // The UNIQUE constraints make a duplicate impossible; a tampered copy is rebuilt without them.
                let key = check == "same_step_twice" ? "idempotency_key || ':again'" : "idempotency_key"
                try db.execute(sql: """
                    CREATE TABLE jobs_copy AS SELECT * FROM jobs; DROP TABLE jobs; ALTER TABLE jobs_copy RENAME TO jobs;
                    INSERT INTO jobs SELECT id + 100, campaign_id, lead_id, run_id, \(key), step_id, step_index, mode, transport,
                        status, attempt, next_attempt_at, last_error, created_at, updated_at, seq, ambiguous, duplicate_of, sender
                    FROM jobs WHERE id = 1;
                    """)
            } else {
                try db.execute(sql: plant)
            }
        }
    }

    @Test("a violation planted in the same second is found: the checks compare commit order, not timestamps")
    func sameSecondViolation() throws {
        // Given: bob unsubscribes, then a tick in the very same second sends to ada only.
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org"])
        _ = try fixture.store.write("unsubscribe") { db in
            try ListQueries.addUnsubscribe(db, email: "bob@example.org", campaignID: nil, source: nil, now: fixture.clock.now())
        }
        let report = try fixture.tick()
        // An honest opt-out committed after the job, in the same second, is no violation.
        _ = try fixture.store.write("late unsubscribe") { db in
            try ListQueries.addUnsubscribe(db, email: "ada@example.org", campaignID: 1, source: nil, now: fixture.clock.now())
        }
        #expect(try violations(fixture, "jobs_for_unsubscribed", runID: report.runID) == 0)
        #expect(try fixture.scalar("SELECT count(DISTINCT created_at) FROM (SELECT created_at FROM unsubscribes UNION ALL SELECT created_at FROM jobs) AS v") == 1,
                "everything happened within one second")
        // When: ada's job is moved by hand onto bob, who had unsubscribed before it was created.
        try fixture.execute("UPDATE jobs SET lead_id = (SELECT id FROM leads WHERE email = 'bob@example.org')")
        // Then: the check finds it, although every timestamp is the same second.
        #expect(try violations(fixture, "jobs_for_unsubscribed", runID: report.runID) == 1)
    }

    @Test("a hostile lead cannot break the CSV or the Markdown")
    func hostileCells() throws {
        let fixture = try Fixture()
        try fixture.apply(CampaignFactory.yaml(steps: "steps:\n  - { id: only, subject: \"Hi\", body: \"Hi {{first_name}}\" }"))
        try fixture.importLeads("""
            email,first_name,company,dnc
            -lead@example.com,"=HYPERLINK(""http://x"")",Acme,
            +plus@example.com,@sum,Acme,
            pipe@example.com,x|y,Acme,
            """)
        try fixture.store.write("dnc") { db in
            let lead = try LeadQueries.find(db, campaignID: 1, email: "pipe@example.com")!
            try LeadQueries.markDNC(db, leadID: lead.id, reason: "said | no\nthanks <b>", now: fixture.clock.now())
        }
        let report = try fixture.tick()
        let written = try export(fixture, report.runID, to: "hostile")
        let leads = try read(written.directory + "/leads.csv")
        #expect(leads.contains(",'-lead@example.com,"))
        #expect(leads.contains(",'+plus@example.com,"))
        #expect(leads.contains("\"do not contact: said | no\nthanks <b>\""), "quoted, with its line break kept inside quotes")
        #expect(MarkdownText.cell("x|y\nz") == "x\\|y z")
        #expect(MarkdownText.table(["a"], [["<script>|"]]).contains("&lt;script&gt;\\|"))
    }

    @Test("artifacts never leave the folder and never follow a symlink")
    func pathSafety() throws {
        let (fixture, report) = try tickedFixture()
        let root = fixture.directory.appendingPathComponent("safe").path
        let elsewhere = fixture.directory.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/q4-launch", withDestinationPath: elsewhere)

        let linked = #expect(throws: OutreachError.self) { _ = try export(fixture, report.runID, to: "safe") }
        #expect(linked?.category == .cannotCreateOutput)
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)

        let traversal = #expect(throws: OutreachError.self) { _ = try export(fixture, "../../etc", to: "other") }
        #expect(traversal?.category == .badInput)

        // A symlink planted where a file goes is replaced, not written through.
        let clean = try export(fixture, report.runID, to: "clean")
        let target = fixture.directory.appendingPathComponent("victim.txt").path
        try "precious".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: clean.directory + "/leads.csv")
        try FileManager.default.createSymbolicLink(atPath: clean.directory + "/leads.csv", withDestinationPath: target)
        _ = try export(fixture, report.runID, to: "clean")
        #expect(try read(target) == "precious")
    }

    @Test("a dry run writes its artifacts and then leaves the database as it was")
    func dryRunArtifacts() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let request = TickRequest(slug: "q4-launch", dryRun: true)
        let root = fixture.directory.appendingPathComponent("dry").path
        let written = try fixture.store.withTransactions(rollback: true, "dry") { scope in
            let report = try Tick(request: request, dependencies: fixture.dependencies()).run(in: scope)
            return try scope.read("export") { db in
                try ProofArtifacts.export(db, campaign: try CampaignQueries.require(db, slug: "q4-launch"), runID: report.runID, root: root)
            }
        }
        #expect(try read(written.directory + "/leads.csv").contains("dispatched"))
        #expect(try read(written.directory + "/summary.md").contains("dry run"))
        #expect(try fixture.scalar("SELECT count(*) FROM runs") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM decisions") == 0)
    }
}
