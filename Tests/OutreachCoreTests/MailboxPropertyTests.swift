import Foundation
import GRDB
import PropertyBased
import Testing
@testable import OutreachCore

/// SPEC §12's guarantees over random histories: two campaigns sharing a mailbox, ticked at
/// random instants with random feedback in between. Whatever happens, a mailbox never
/// exceeds its cap (warm-up included) on any day of its zone, its sends are never closer than
/// its gap, nothing goes out on a blackout day in the lead's zone, and a lead's later steps
/// come from the mailbox of its first.
@Suite("Mailbox properties")
struct MailboxPropertyTests {
    /// The mailboxes' limits, drawn per history.
    struct Limits: CustomStringConvertible {
        let cap: Int
        let gapMinutes: Int
        let jitterMinutes: Int
        let warmup: Bool

        var description: String { "cap \(cap), gap \(gapMinutes)m, jitter \(jitterMinutes)m, warm-up \(warmup)" }
    }

    /// One step of a history: let `minutes` pass, then tick campaign `which % 2`, or (when
    /// `which` is 9) record a hard bounce for a contacted lead.
    typealias Action = (minutes: Int, which: Int)

    static let skipDates = ["2026-11-26", "2026-11-27"]
    static let zones = ["Europe/London", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"]

    static func campaignYAML(slug: String, senders: [String]) -> String {
        CampaignFactory.yaml(
            slug: slug,
            limits: "limits: { per_tick: 10, daily_quota: 1000, cooldown: 0s }",
            window: "window: { days: [mon, tue, wed, thu, fri, sat, sun], start: \"08:00\", end: \"20:00\", recipient_timezone: true, skip_dates: [\(skipDates.joined(separator: ", "))] }",
            steps: """
                steps:
                  - { id: intro, delay: 0h, subject: "Hello {{first_name}}", body: "Hi." }
                  - { id: nudge, delay: 3h, body: "Just checking in." }
                  - { id: last, delay: 1d, subject: "Last note", body: "Bye." }
                """,
            extra: "guardrails: { hard_bounce_rate: 20%, min_sends: 5, window: 2d }"
        ).replacingOccurrences(
            of: "sender: { from: \"Ada Lovelace <ada@example.com>\"",
            with: "sender: { from: [\(senders.map { "\"Ada <\($0)>\"" }.joined(separator: ", "))]")
    }

    @Test("random ticks of two campaigns sharing a mailbox never break a mailbox's cap, gap, blackout days or a lead's sender")
    func randomHistories() async throws {
        let limits = zip(Gen.int(in: 1...6), Gen.int(in: 0...45), Gen.int(in: 0...10), Gen.bool).map {
            Limits(cap: $0, gapMinutes: $1, jitterMinutes: $2, warmup: $3)
        }
        let actions = zip(Gen.int(in: 1...600), Gen.int(in: 0...9)).array(of: 5...45)
        await propertyCheck(count: 30, input: limits, actions) { limits, actions in
            try Self.check(limits: limits, actions: actions.map { (minutes: $0.0, which: $0.1) })
        }
    }

    static func check(limits: Limits, actions: [Action]) throws {
        let fixture = try Fixture(now: "2026-11-23T06:00:00Z")
        let mailboxes = try MailboxFile.parse("""
            mailboxes:
              - { address: shared@example.com, timezone: Europe/London, daily_cap: \(limits.cap), min_gap: \(limits.gapMinutes)m, jitter: \(limits.jitterMinutes)m\(limits.warmup ? ", warmup: { start: 1, increase: 1 }" : "") }
              - { address: alpha@example.com, timezone: America/New_York, daily_cap: \(limits.cap + 1), min_gap: \(limits.gapMinutes / 2)m }
              - { address: beta@example.com, timezone: Asia/Tokyo, daily_cap: 2, min_gap: 1h, jitter: 7m }
            """, file: "mailboxes.yaml")
        try fixture.store.write("mailboxes") { db in _ = try MailboxQueries.apply(db, mailboxes, now: fixture.clock.now()) }
        try fixture.apply(campaignYAML(slug: "alpha", senders: ["shared@example.com", "alpha@example.com"]))
        try fixture.apply(campaignYAML(slug: "beta", senders: ["beta@example.com", "shared@example.com"]))
        for slug in ["alpha", "beta"] {
            var csv = "email,first_name,timezone\n"
            for index in 0..<12 { csv += "\(slug)\(index)@example.org,L\(index),\(zones[index % zones.count])\n" }
            try fixture.importLeads(csv, slug: slug)
        }
        var bounces = 0
        for action in actions {
            fixture.clock.advance(seconds: Double(action.minutes * 60))
            if action.which == 9 {
                bounces += 1
                try bounceSomeone(fixture, id: "b\(bounces)")
            } else {
                try fixture.tick(action.which % 2 == 0 ? "alpha" : "beta")
            }
        }
        try fixture.store.read("checking") { db in try verify(db, mailboxes: mailboxes) }
    }

    /// A hard bounce for the most recently contacted lead, if any.
    static func bounceSomeone(_ fixture: Fixture, id: String) throws {
        let email = try fixture.store.read("pick") { db in
            try String.fetchOne(db, sql: "SELECT email FROM leads WHERE last_contacted_at IS NOT NULL ORDER BY last_contacted_at DESC, id LIMIT 1")
        }
        guard let email else { return }
        let event = FeedbackEvent(id: id, kind: .bounce, bounce: .hard, email: email, at: fixture.clock.now())
        _ = try EventImporter(store: fixture.store, clock: fixture.clock).record([event])
    }

    static func verify(_ db: any SQLConnection, mailboxes: [Mailbox]) throws {
        let sends = try SQLRecord.fetchAll(db, sql: """
            SELECT m.address, s.sent_at FROM mailbox_sends s JOIN mailboxes m ON m.id = s.mailbox_id ORDER BY s.id
            """)
        for mailbox in mailboxes {
            let times = sends.filter { $0["address"] as String == mailbox.address }.compactMap { Timestamp.parse($0["sent_at"]) }
            // Cap, warm-up included, per day of the mailbox's zone.
            let days = Dictionary(grouping: times, by: { mailbox.day(of: $0) })
            let firstDay = times.first.map { mailbox.day(of: $0) }
            for (day, onDay) in days {
                let allowed = mailbox.allowance(on: day, firstSendDay: firstDay)
                #expect(onDay.count <= allowed, "\(mailbox.address) sent \(onDay.count) on \(day), allowed \(allowed)")
                #expect(onDay.count <= mailbox.dailyCap)
            }
            // The gap between two consecutive sends.
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= Double(mailbox.minGapSeconds),
                        "\(mailbox.address): sends at \(Timestamp.format(earlier)) and \(Timestamp.format(later)) are closer than \(mailbox.minGapSeconds)s")
            }
        }
        // Blackout days in the lead's zone, and one sender per lead (its own).
        let jobs = try SQLRecord.fetchAll(db, sql: "SELECT j.created_at, j.sender, l.timezone, l.sender AS lead_sender, l.id FROM jobs j JOIN leads l ON l.id = j.lead_id")
        for job in jobs {
            let created = Timestamp.parse(job["created_at"])!
            let zone = TimeZone(identifier: job["timezone"] as String)!
            #expect(!skipDates.contains(QuotaDay.of(created, in: zone)), "a job on a blackout day: \(Timestamp.format(created)) in \(zone.identifier)")
            #expect(job["sender"] as String? == job["lead_sender"] as String?, "lead \(job["id"] as Int64) changed sender")
        }
        // And the proof checks agree, for both campaigns.
        for campaignID: Int64 in [1, 2] {
            for (check, violations) in try ProofChecks.run(db, campaignID: campaignID, runID: "") {
                #expect(violations == 0, "\(check.name) found \(violations) in campaign \(campaignID)")
            }
        }
    }
}
