import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// Delivery feedback and bulk list imports (SPEC §3 `events import`, `unsubscribe import`,
/// `suppress import`).
@Suite("Feedback and lists")
struct FeedbackTests {
    func importEvents(_ fixture: Fixture, _ text: String, ext: String = "jsonl", rejects: String? = nil) throws -> EventImporter.Report {
        let file = fixture.directory.appendingPathComponent("events-\(UUID().uuidString).\(ext)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try EventImporter(store: fixture.store, clock: fixture.clock).run(path: file.path, rejectsPath: rejects)
    }

    func event(_ id: String, _ type: String, _ email: String, extra: String = "") -> String {
        "{\"id\":\"\(id)\",\"type\":\"\(type)\",\"email\":\"\(email)\",\"at\":\"2026-11-23T16:00:00Z\"\(extra)}"
    }

    @Test("a reply stops the sequence and cancels a pending retry; importing it again changes nothing")
    func reply() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org"])
        try fixture.tick()

        let first = try importEvents(fixture, event("e1", "reply", "ADA@example.org"))
        let before = try fixture.store.read("dump") { db in String(describing: try SQLRecord.fetchAll(db, sql: "SELECT * FROM leads ORDER BY id")) }
        let again = try importEvents(fixture, event("e1", "reply", "ada@example.org"))

        #expect(first.replied == 1)
        #expect(again.alreadyImported == 1)
        #expect(again.replied == 0)
        #expect(try fixture.store.read("dump") { db in String(describing: try SQLRecord.fetchAll(db, sql: "SELECT * FROM leads ORDER BY id")) } == before)
        let ada = try fixture.lead("ada@example.org")
        #expect(ada.status == .replied)
        #expect(ada.nextActionAt == nil)
        fixture.clock.advance(days: 5)
        #expect(try fixture.tick().counters.dispatched == 1, "only Bob gets the follow-up")
    }

    @Test("an auto-reply holds the lead: its next step moves to at least the delay after the auto-reply")
    func autoReply() throws {
        let fixture = try Fixture()
        try fixture.apply(CampaignFactory.yaml(extra: "events: { auto_reply_delay: 5d }"))
        try fixture.addLeads(["ada@example.org"])
        try fixture.tick()
        let report = try importEvents(fixture, event("e2", "auto_reply", "ada@example.org"))
        #expect(report.held == 1)
        let ada = try fixture.lead("ada@example.org")
        #expect(ada.status == .active)
        #expect(ada.nextActionAt == Timestamp.parse("2026-11-28T16:00:00Z"))
    }

    @Test("a hard bounce suppresses and bounces; three soft bounces in a row count as hard; a reply resets the count")
    func bounces() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["hard@example.org", "soft@example.org", "lucky@example.org"])

        _ = try importEvents(fixture, event("b1", "bounce", "hard@example.org", extra: ",\"bounce\":\"hard\""))
        #expect(try fixture.lead("hard@example.org").status == .bounced)
        #expect(try fixture.scalar("SELECT count(*) FROM suppressions WHERE value = 'hard@example.org' AND kind = 'email'") == 1)

        for index in 1...2 { _ = try importEvents(fixture, event("s\(index)", "bounce", "soft@example.org", extra: ",\"bounce\":\"soft\"")) }
        #expect(try fixture.lead("soft@example.org").status == .new)
        _ = try importEvents(fixture, event("s3", "soft_bounce", "soft@example.org"))
        #expect(try fixture.lead("soft@example.org").status == .bounced)

        for index in 1...2 { _ = try importEvents(fixture, event("l\(index)", "bounce", "lucky@example.org", extra: ",\"bounce\":\"soft\"")) }
        _ = try importEvents(fixture, event("l3", "auto_reply", "lucky@example.org"))
        _ = try importEvents(fixture, event("l4", "bounce", "lucky@example.org", extra: ",\"bounce\":\"soft\""))
        #expect(try fixture.lead("lucky@example.org").status == .new)
        #expect(try fixture.lead("lucky@example.org").softBounces == 1)
    }

    @Test("a complaint unsubscribes everywhere and suppresses; an unsubscribe event can be scoped to a campaign")
    func complaintAndUnsubscribe() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.apply(CampaignFactory.yaml(slug: "other"))
        try fixture.addLeads(["angry@example.org", "scoped@example.org"])
        try fixture.addLeads(["scoped@example.org"], slug: "other")

        let report = try importEvents(fixture, [
            event("c1", "complaint", "angry@example.org"),
            event("u1", "unsubscribe", "scoped@example.org", extra: ",\"campaign\":\"q4-launch\""),
            event("u2", "unsubscribe", "stranger@example.net"),
        ].joined(separator: "\n"))

        #expect(report.unknownAddresses == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM unsubscribes WHERE email = 'angry@example.org' AND campaign_id IS NULL") == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM suppressions WHERE value = 'angry@example.org'") == 1)
        let first = try fixture.tick()
        let other = try fixture.tick("other")
        #expect(first.counters.dispatched == 0)
        #expect(first.decisionCounts[.skippedUnsubscribed] == 2)
        #expect(other.counters.dispatched == 1, "the campaign-scoped unsubscribe leaves the other campaign alone")
    }

    @Test("a file with any invalid line is rejected with line numbers and nothing written; --rejects imports the rest")
    func invalidEvents() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let text = [
            event("ok", "reply", "ada@example.org"),
            "{not json",
            event("t", "teleport", "ada@example.org"),
            event("m", "reply", "not-an-address"),
            "{\"id\":\"d\",\"type\":\"reply\",\"email\":\"ada@example.org\",\"at\":\"yesterday\"}",
            event("c", "reply", "ada@example.org", extra: ",\"campaign\":\"nope\""),
        ].joined(separator: "\n")

        let error = #expect(throws: OutreachError.self) { try importEvents(fixture, text) }
        #expect(error?.category == .badInput)
        for line in 2...6 { #expect(error?.message.contains("line \(line):") == true, "names line \(line): \(error?.message ?? "")") }
        #expect(try fixture.scalar("SELECT count(*) FROM events") == 0)
        #expect(try fixture.lead("ada@example.org").status == .new)

        let rejects = fixture.directory.appendingPathComponent("rejects.csv").path
        let report = try importEvents(fixture, text, rejects: rejects)
        #expect(report.imported == 1)
        #expect(report.rejected == 5)
        #expect(try String(contentsOfFile: rejects, encoding: .utf8).contains("unknown event type 'teleport'"))
    }

    @Test("events can come as CSV")
    func csvEvents() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let report = try importEvents(fixture, "id,type,email,at,bounce,provider_note\nx1,bounce,ada@example.org,2026-11-23T16:00:00Z,hard,extra\n", ext: "csv")
        #expect(report.bounced == 1)
        let wrong = #expect(throws: OutreachError.self) { try importEvents(fixture, "x", ext: "txt") }
        #expect(wrong?.category == .usage)
    }

    @Test("unsubscribe and suppress imports validate every row, all or nothing, and are idempotent")
    func listImports() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let importer = ListImporter(store: fixture.store, clock: fixture.clock)
        func file(_ text: String) throws -> String {
            let url = fixture.directory.appendingPathComponent("\(UUID().uuidString).csv")
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let unsubscribes = try file("email,campaign,source\na@example.org,,form\nb@example.org,q4-launch,reply\n")
        #expect(try importer.importUnsubscribes(path: unsubscribes).added == 2)
        #expect(try importer.importUnsubscribes(path: unsubscribes).unchanged == 2)

        let bad = #expect(throws: OutreachError.self) {
            try importer.importUnsubscribes(path: try file("email,campaign\nc@example.org,\nbroken,\nd@example.org,nope\n"))
        }
        #expect(bad?.message.contains("line 3:") == true)
        #expect(bad?.message.contains("line 4: there is no campaign 'nope'") == true)
        #expect(try fixture.scalar("SELECT count(*) FROM unsubscribes") == 2)

        let suppressions = try file("email,domain,reason,until\nx@example.org,,bounce,\n,rival.example,competitor,2027-01-01\n")
        #expect(try importer.importSuppressions(path: suppressions).added == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM suppressions WHERE until = '2027-01-01T00:00:00Z'") == 1)
        let both = #expect(throws: OutreachError.self) {
            try importer.importSuppressions(path: try file("email,domain\nx@example.org,example.org\n"))
        }
        #expect(both?.message.contains("exactly one of email or domain") == true)
        let column = #expect(throws: OutreachError.self) { try importer.importSuppressions(path: try file("address\nx@example.org\n")) }
        #expect(column?.message.contains("unknown column 'address'") == true)
    }

    @Test("the metrics text has HELP and TYPE lines, every campaign, and escaped labels")
    func metrics() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org"])
        try fixture.tick(limit: 1)
        let text = try fixture.store.metricsText(now: fixture.clock.now())
        #expect(text.contains("# TYPE outreach_last_success_timestamp_seconds gauge"))
        #expect(text.contains("outreach_last_run_decisions{campaign=\"q4-launch\",decision=\"dispatched\"} 1"))
        #expect(text.contains("outreach_jobs{campaign=\"q4-launch\",status=\"sent_proof\"} 1"))
        #expect(text.contains("outreach_quota_remaining{campaign=\"q4-launch\"} 199"))
        #expect(text.contains("outreach_due_leads{campaign=\"q4-launch\"} 1"))
        #expect(text.contains("outreach_last_success_timestamp_seconds{campaign=\"q4-launch\"} \(Int(fixture.clock.now().timeIntervalSince1970))"))
        // Each family's HELP appears once, before its samples.
        let helps = text.split(separator: "\n").filter { $0.hasPrefix("# HELP") }
        #expect(Set(helps).count == helps.count)
    }
}
