import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// SPEC §9: no person receives the same step twice, nobody is contacted after their opt-out
/// was committed — through ambiguous sends, campaign edits, clock changes and old databases.
@Suite("At most once")
struct AtMostOnceTests {
    func liveFixture(leads: [String] = ["ada@example.org"], steps: String? = nil) throws -> Fixture {
        let fixture = try Fixture()
        let yaml = steps.map { CampaignFactory.yaml(steps: $0) } ?? CampaignFactory.yaml()
        let stored = try fixture.apply(yaml)
        try fixture.store.write("approve") { db in try CampaignQueries.approve(db, stored, by: "Grace", now: fixture.clock.now()) }
        try fixture.addLeads(leads)
        return fixture
    }

    func status(_ fixture: Fixture, job: Int = 1) throws -> String {
        try fixture.store.read("job") { db in try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [job]) ?? "" }
    }

    // MARK: - Ambiguous outcomes (§9.1)

    @Test("an unknown outcome makes the job unknown; later ticks never send it again")
    func unknownIsNeverRetried() throws {
        let fixture = try liveFixture()
        let transport = ScriptedTransport([.unknown("sendmail did not finish within 2s")])
        try fixture.tick(mode: .live, transport: transport)
        #expect(try status(fixture) == "unknown")
        for _ in 0..<3 {
            fixture.clock.advance(days: 2)
            try fixture.tick(mode: .live, transport: transport)
        }
        #expect(transport.messages.count == 1, "sent once, never again")
        #expect(try status(fixture) == "unknown")
        #expect(try fixture.scalar("SELECT count(*) FROM decisions WHERE job_status = 'unknown'") == 1)
    }

    @Test("with an idempotency window, a missing answer is retried with the same key inside it, and is unknown after it")
    func idempotencyWindow() throws {
        // Inside the window (24h, retries after 300s): the provider drops a repeat of the same key.
        let fixture = try liveFixture()
        let transport = ScriptedTransport([.unknown("no answer"), .sent], idempotencyWindowSeconds: 86_400)
        try fixture.tick(mode: .live, transport: transport)
        #expect(try status(fixture) == "retry_scheduled")
        #expect(try fixture.scalar("SELECT ambiguous FROM jobs") == 1)
        fixture.clock.advance(seconds: 600)
        try fixture.tick(mode: .live, transport: transport)
        #expect(try status(fixture) == "sent")
        #expect(Set(transport.messages.map(\.idempotencyKey)).count == 1, "one key on both attempts")

        // Past the window when the retry comes due (cron stopped for two days): unknown, not re-sent.
        let late = try liveFixture()
        let lateTransport = ScriptedTransport([.unknown("no answer")], idempotencyWindowSeconds: 3600)
        try late.tick(mode: .live, transport: lateTransport)
        #expect(try status(late) == "retry_scheduled")
        late.clock.advance(days: 2)
        try late.tick(mode: .live, transport: lateTransport)
        #expect(try status(late) == "unknown")
        #expect(lateTransport.messages.count == 1)

        // Without a window (sendmail), a missing answer is unknown at once.
        let plain = try liveFixture()
        try plain.tick(mode: .live, transport: ScriptedTransport([.unknown("killed by signal 9")]))
        #expect(try status(plain) == "unknown")
    }

    // MARK: - Step identity (§9.5)

    @Test("inserting a step before the one a lead received never re-sends it; the lead goes on with the next step by id")
    func insertedStepIsNotResent() throws {
        let fixture = try liveFixture(steps: """
            steps:
              - { id: intro, delay: 0h, subject: "Intro", body: "Hi {{first_name}}" }
              - { id: f1, delay: 1h, subject: "F1", body: "Again {{first_name}}" }
            """)
        let transport = ScriptedTransport()
        try fixture.tick(mode: .live, transport: transport)
        try fixture.apply(CampaignFactory.yaml(steps: """
            steps:
              - { id: news, delay: 0h, subject: "News", body: "News {{first_name}}" }
              - { id: intro, delay: 0h, subject: "Intro", body: "Hi {{first_name}}" }
              - { id: f1, delay: 1h, subject: "F1", body: "Again {{first_name}}" }
            """))
        try fixture.store.write("approve") { db in
            try CampaignQueries.approve(db, try CampaignQueries.require(db, slug: "q4-launch"), by: "Grace", now: fixture.clock.now())
        }
        for _ in 0..<4 {
            fixture.clock.advance(days: 2)
            try fixture.tick(mode: .live, transport: transport)
        }
        #expect(transport.messages.map(\.subject) == ["Intro", "F1"], "intro once, then f1; news comes before intro, so never")
        #expect(try fixture.scalar("SELECT count(*) FROM jobs WHERE step_id = 'intro'") == 1)
        #expect(try fixture.lead("ada@example.org").status == .completed)
        let checks = try fixture.store.read("checks") { db in try ProofChecks.run(db, campaignID: 1, runID: "") }
        #expect(checks.allSatisfy { $0.violations == 0 }, "\(checks.filter { $0.violations > 0 }.map(\.check.name))")
    }

    @Test("a pending retry whose step a reorder put before a received step is cancelled, never sent")
    func retryAfterReorder() throws {
        let steps = """
            steps:
              - { id: intro, delay: 0h, subject: "Intro", body: "Hi {{first_name}}" }
              - { id: f1, delay: 1h, subject: "F1", body: "Again {{first_name}}" }
            """
        let fixture = try liveFixture(steps: steps)
        let transport = ScriptedTransport()
        try fixture.tick(mode: .live, transport: transport)
        fixture.clock.advance(days: 2)  // past f1's delay and the 24h cooldown
        transport.then(.transient("EX_TEMPFAIL"))
        try fixture.tick(mode: .live, transport: transport)
        #expect(try status(fixture, job: 2) == "retry_scheduled")
        try fixture.apply(CampaignFactory.yaml(steps: """
            steps:
              - { id: f1, delay: 1h, subject: "F1", body: "Again {{first_name}}" }
              - { id: intro, delay: 0h, subject: "Intro", body: "Hi {{first_name}}" }
            """))
        try fixture.store.write("approve") { db in
            try CampaignQueries.approve(db, try CampaignQueries.require(db, slug: "q4-launch"), by: "Grace", now: fixture.clock.now())
        }
        fixture.clock.advance(days: 1)
        try fixture.tick(mode: .live, transport: transport)
        #expect(try status(fixture, job: 2) == "cancelled")
        #expect(transport.messages.map(\.subject) == ["Intro", "F1"], "the failed attempt only; no second F1")
        #expect(try fixture.lead("ada@example.org").status == .completed)
    }

    @Test("the database refuses a second job for the same lead and step id")
    func databaseEnforcesStepIdentity() throws {
        let fixture = try liveFixture()
        try fixture.tick()
        let refusal = #expect(throws: OutreachError.self) {
            try fixture.execute("""
                INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, created_at, updated_at)
                SELECT campaign_id, lead_id, run_id, 'other-key', step_id, 5, mode, transport, status, created_at, updated_at FROM jobs
                """)
        }
        #expect(refusal?.message.contains("UNIQUE") == true || refusal?.message.contains("unique constraint") == true)
    }

    @Test("the next step by id", arguments: [
        // (steps now, steps the lead has, expected next)
        (["intro", "f1", "f2"], [String](), "intro"),
        (["intro", "f1", "f2"], ["intro"], "f1"),
        (["news", "intro", "f1"], ["intro"], "f1"),
        (["intro", "news", "f1"], ["intro"], "news"),
        (["f1", "intro", "f2"], ["intro", "f1"], "f2"),
        (["intro", "f2", "f1"], ["intro", "f1"], ""),
        (["intro", "f2"], ["intro", "f1"], "f2"),
        (["f2", "f3"], ["intro", "f1"], "f2"),
        (["intro"], ["intro"], ""),
    ])
    func stepPlan(steps: [String], received: [String], expected: String) {
        let campaignSteps = steps.map { Campaign.Step(id: $0, delaySeconds: 0, subject: "s", body: "b") }
        let next = StepPlan.next(steps: campaignSteps, received: Set(received)).map { steps[$0] } ?? ""
        #expect(next == expected)
    }

    // MARK: - The clock (§9.7) and the DST gap

    @Test("a writing tick whose clock is more than 30 minutes behind the database is refused; a dry run is not")
    func clockGuard() throws {
        let fixture = try liveFixture()
        try fixture.tick()
        fixture.clock.advance(seconds: -29 * 60)
        try fixture.tick()
        fixture.clock.advance(days: -1)
        let runs = try fixture.scalar("SELECT count(*) FROM runs")
        #expect(throws: OutreachError.self) { try fixture.tick() }
        #expect(try fixture.scalar("SELECT count(*) FROM runs") == runs, "nothing was written")
        try fixture.tick(dryRun: true)
    }

    @Test("a window starting inside the spring-forward gap opens at the first valid instant (03:00), not an hour late")
    func springForwardGap() throws {
        let window = SendingWindow(Campaign.Window(days: [.sun], startMinute: 150, endMinute: 240, recipientTimezone: false))
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
        let before = try #require(Timestamp.parse("2026-03-08T06:30:00Z"))
        #expect(window.state(at: before, in: zone) == .closed(opensAt: try #require(Timestamp.parse("2026-03-08T07:00:00Z"))))
        #expect(window.state(at: try #require(Timestamp.parse("2026-03-08T07:00:00Z")), in: zone).isOpen)
    }

    // MARK: - Old databases (migration 0002)

    @Test("migration 0002 keeps history: a step sent twice by an old version is still reported, and no new duplicate can be added")
    func migrationKeepsHistory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("v1.sqlite").path
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: SchemaMigrations.all[0].sql)
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('0001_init');
                INSERT INTO campaigns (id, slug, name, timezone, definition, content_hash, per_tick, daily_quota, created_at, updated_at)
                VALUES (1, 'old', 'Old', 'UTC', '{}', 'h', 25, 200, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                INSERT INTO leads (id, campaign_id, email, created_at, updated_at) VALUES (1, 1, 'ada@example.org', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                INSERT INTO runs (id, campaign_id, mode, status, owner, fencing_token, started_at, finished_at, per_tick_limit, daily_quota, quota_day, content_hash, tool_version)
                VALUES ('r1', 1, 'live', 'completed', 'h:1:a', 1, '2026-01-01T10:00:00Z', '2026-01-01T10:00:05Z', 25, 200, '2026-01-01', 'h', '0.1.0');
                INSERT INTO jobs (id, campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, created_at, updated_at)
                VALUES (1, 1, 1, 'r1', '1:1:intro:0', 'intro', 0, 'live', 'x', 'sent', '2026-01-01T10:00:01Z', '2026-01-01T10:00:01Z'),
                       (2, 1, 1, 'r1', '1:1:intro:1', 'intro', 1, 'live', 'x', 'sent', '2026-01-01T10:00:02Z', '2026-01-01T10:00:02Z');
                """)
        }
        let store = try Store.connect(path: path)
        #expect(try store.migrate() == ["0002_at_most_once", "0003_forget", "0004_mailboxes", "0005_cursor_indexes"])
        try store.read("check") { db in
            #expect(try String.fetchOne(db, sql: "SELECT installation_id FROM installation")?.count == 16)
            #expect(try Int.fetchAll(db, sql: "SELECT duplicate_of FROM jobs ORDER BY id") == [0, 1])
            let checks = try ProofChecks.run(db, campaignID: 1, runID: "")
            #expect(checks.first { $0.check.name == "same_step_twice" }?.violations == 1, "the old duplicate stays visible")
            #expect(try String.fetchOne(db, sql: "SELECT newest_at FROM clock_guard") == "2026-01-01T10:00:05Z")
        }
        #expect(throws: OutreachError.self) {
            try store.write("plant") { db in
                try db.execute(sql: """
                    INSERT INTO jobs (campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status, created_at, updated_at)
                    VALUES (1, 1, 'r1', 'third', 'intro', 2, 'live', 'x', 'sent', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')
                    """)
            }
        }
    }
}
