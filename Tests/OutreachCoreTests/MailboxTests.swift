import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// The pure rules of SPEC §12 and the conditional update that applies them.
@Suite("Mailboxes")
struct MailboxTests {
    static let warm = Mailbox(address: "ada@example.com", timezone: "Europe/London", dailyCap: 10,
                              warmup: .init(start: 2, increase: 3), minGapSeconds: 540, jitterSeconds: 300)

    static func instant(_ text: String) -> Date { Timestamp.parse(text)! }

    @Test("warm-up: day n allows min(cap, start + increase × n), counted from the first send's day")
    func warmup() {
        #expect(Self.warm.allowance(on: "2026-11-23", firstSendDay: nil) == 2)
        #expect(Self.warm.allowance(on: "2026-11-23", firstSendDay: "2026-11-23") == 2)
        #expect(Self.warm.allowance(on: "2026-11-24", firstSendDay: "2026-11-23") == 5)
        #expect(Self.warm.allowance(on: "2026-11-25", firstSendDay: "2026-11-23") == 8)
        #expect(Self.warm.allowance(on: "2026-11-26", firstSendDay: "2026-11-23") == 10, "never above the cap")
        #expect(Self.warm.allowance(on: "2027-01-01", firstSendDay: "2026-11-23") == 10)
        var flat = Self.warm
        flat.warmup = nil
        #expect(flat.allowance(on: "2026-11-23", firstSendDay: nil) == 10)
    }

    @Test("the jitter is deterministic per message, within 0…jitter, and the next send is rounded up to a whole second")
    func jitter() {
        let keys = (0..<200).map { "1:\($0):intro:0" }
        let values = keys.map(Self.warm.jitter(for:))
        #expect(values.allSatisfy { (0...300).contains($0) })
        #expect(Set(values).count > 50, "spread out, not one value")
        #expect(keys.map(Self.warm.jitter(for:)) == values, "the same key, the same jitter")
        let now = Date(timeIntervalSince1970: 1_000_000.4)
        let next = Self.warm.nextSendAt(after: now, key: keys[0])
        #expect(next.timeIntervalSince(now) >= Double(540 + values[0]))
        #expect(next.timeIntervalSince1970 == next.timeIntervalSince1970.rounded())
    }

    @Test("availability: paused, then cap (until the zone's next midnight), then gap, else ready with what is left")
    func availability() {
        let now = Self.instant("2026-11-23T10:00:00Z")
        var stored = StoredMailbox(id: 1, mailbox: Self.warm, day: "2026-11-23", sentToday: 1, firstSendDay: "2026-11-23",
                                   nextSendAt: Self.instant("2026-11-23T10:05:00Z"))
        #expect(stored.availability(at: now) == .gap(until: Self.instant("2026-11-23T10:05:00Z")))
        #expect(stored.availability(at: Self.instant("2026-11-23T10:05:00Z")) == .ready(capacityLeft: 1))
        stored.sentToday = 2
        #expect(stored.availability(at: now) == .cap(until: Self.instant("2026-11-24T00:00:00Z"), allowance: 2))
        // The next day of its zone: a fresh count, one more warm-up step.
        #expect(stored.availability(at: Self.instant("2026-11-24T00:10:00Z")) == .ready(capacityLeft: 5))
        stored.status = .paused
        stored.statusReason = "maintenance"
        #expect(stored.availability(at: now) == .paused(reason: "maintenance"))
    }

    @Test("the estimated slots of waiting leads follow the gap, then move to the next day when today's allowance is gone")
    func slots() {
        let stored = StoredMailbox(id: 1, mailbox: Self.warm, day: "2026-11-23", sentToday: 0, firstSendDay: "2026-11-23",
                                   nextSendAt: Self.instant("2026-11-23T10:09:00Z"))
        let now = Self.instant("2026-11-23T10:00:00Z")
        #expect(stored.estimatedSlot(position: 0, at: now) == Self.instant("2026-11-23T10:09:00Z"))
        #expect(stored.estimatedSlot(position: 1, at: now) == Self.instant("2026-11-23T10:18:00Z"))
        #expect(stored.estimatedSlot(position: 2, at: now) == Self.instant("2026-11-24T00:00:00Z"), "day 0 allows 2")
        #expect(stored.estimatedSlot(position: 6, at: now) == Self.instant("2026-11-24T00:36:00Z"), "day 1 allows 5")
        #expect(stored.estimatedSlot(position: 7, at: now) == Self.instant("2026-11-25T00:00:00Z"))
    }

    @Test("guardrails trip at min_sends with a rate reached, name the rates, and need at least one event")
    func guardrails() {
        let rules = Guardrails.defaults
        #expect(rules.breach(.init(sends: 49, hardBounces: 10, complaints: 0)) == nil, "below min_sends")
        #expect(rules.breach(.init(sends: 100, hardBounces: 4, complaints: 0)) == nil)
        let bounce = rules.breach(.init(sends: 100, hardBounces: 5, complaints: 0))
        #expect(bounce == "auto-paused: hard-bounce rate 5% (5 of 100 sends) reached the 5% limit over 7d")
        let complaint = rules.breach(.init(sends: 1000, hardBounces: 0, complaints: 3))
        #expect(complaint?.contains("complaint rate 0.3% (3 of 1000 sends) reached the 0.3% limit") == true)
        #expect(rules.breach(.init(sends: 1000, hardBounces: 0, complaints: 2)) == nil)
        let resume = Self.instant("2026-11-22T00:00:00Z")
        let now = Self.instant("2026-11-23T00:00:00Z")
        #expect(rules.windowStart(now: now, since: resume) == resume, "a resume inside the window restarts it")
        #expect(rules.windowStart(now: now, since: Self.instant("2026-01-01T00:00:00Z")) == Self.instant("2026-11-16T00:00:00Z"))
    }

    @Test("a blackout date closes the window for that local day only, in the zone it is judged in")
    func skipDates() {
        var settings = Campaign.Window(days: Campaign.Weekday.allCases, startMinute: 9 * 60, endMinute: 17 * 60,
                                       recipientTimezone: true, skipDates: ["2026-12-25"])
        let window = SendingWindow(settings)
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        let newYork = TimeZone(identifier: "America/New_York")!
        // 2026-12-25T02:00Z is Christmas morning in Tokyo and the evening before in New York.
        let instant = Self.instant("2026-12-25T02:00:00Z")
        #expect(window.state(at: instant, in: tokyo) == .closed(opensAt: Self.instant("2026-12-26T00:00:00Z")))
        #expect(window.state(at: Self.instant("2026-12-24T15:00:00Z"), in: newYork).isOpen)
        #expect(window.state(at: Self.instant("2026-12-25T15:00:00Z"), in: newYork) == .closed(opensAt: Self.instant("2026-12-26T14:00:00Z")))
        settings.skipDates = (0..<20).map { String(format: "2027-01-%02d", $0 + 1) }
        #expect(SendingWindow(settings).state(at: Self.instant("2027-01-01T10:00:00Z"), in: TimeZone(identifier: "UTC")!)
                == .closed(opensAt: Self.instant("2027-01-21T09:00:00Z")), "a long blackout is skipped whole")
    }

    @Test("the conditional update agrees with the Swift rules: it refuses past the allowance, inside the gap and when paused")
    func conditionalClaim() throws {
        let fixture = try Fixture(now: "2026-11-23T10:00:00Z")
        try fixture.store.write("setup") { db in _ = try MailboxQueries.apply(db, [Self.warm], now: fixture.clock.now()) }
        func claim(_ at: String) throws -> Int? {
            try fixture.store.write("claim") { db in
                let stored = try MailboxQueries.find(db, address: "ada@example.com")!
                let instant = Self.instant(at)
                return try MailboxQueries.claim(db, mailboxID: stored.id, day: stored.mailbox.day(of: instant), now: at,
                                                nextSendAt: Timestamp.format(instant.addingTimeInterval(600)))
            }
        }
        #expect(try claim("2026-11-23T10:00:00Z") == 2)
        #expect(try claim("2026-11-23T10:05:00Z") == nil, "inside the gap")
        #expect(try claim("2026-11-23T10:10:00Z") == 2)
        #expect(try claim("2026-11-23T10:30:00Z") == nil, "day 0 allows 2")
        #expect(try claim("2026-11-24T09:00:00Z") == 5, "day 1 allows 5")
        #expect(try claim("2026-12-01T09:00:00Z") == 10, "the cap")
        try fixture.store.write("pause") { db in
            try MailboxQueries.setStatus(db, try MailboxQueries.find(db, address: "ada@example.com")!, .paused, reason: "x", now: fixture.clock.now())
        }
        #expect(try claim("2026-12-02T09:00:00Z") == nil, "paused")
        let stored = try fixture.store.read("read") { db in try MailboxQueries.find(db, address: "ada@example.com")! }
        #expect(stored.firstSendDay == "2026-11-23")
        #expect(stored.sentToday == 1)
        #expect(stored.day == "2026-12-01")
    }

    @Test("complaints recorded the way serve and import-mail record them pause the mailbox of the leads they name")
    func recordPausesMailbox() throws {
        let fixture = try Fixture(now: "2026-11-23T10:00:00Z")
        let mailbox = Mailbox(address: "ada@example.com", timezone: "UTC", dailyCap: 100,
                              guardrails: Guardrails(hardBounceRate: 1, complaintRate: 0.05, minSends: 10, windowSeconds: 86_400))
        try fixture.store.write("setup") { db in _ = try MailboxQueries.apply(db, [mailbox], now: fixture.clock.now()) }
        try fixture.apply(CampaignFactory.yaml(limits: "limits: { per_tick: 100, daily_quota: 1000, cooldown: 0s }"))
        try fixture.addLeads((1...20).map { "p\($0)@example.org" })
        try fixture.tick()
        fixture.clock.advance(hours: 1)
        let events = EventImporter(store: fixture.store, clock: fixture.clock)
        // 1 complaint of 20 sends is 5 %: the mailbox's limit is reached.
        let report = try events.record([FeedbackEvent(id: "c1", kind: .complaint, bounce: nil, email: "p1@example.org", at: fixture.clock.now())])
        let stored = try fixture.store.read("read") { db in try MailboxQueries.find(db, address: "ada@example.com")! }
        #expect(stored.status == .paused)
        #expect(stored.autoPaused)
        #expect(stored.statusReason?.contains("complaint rate") == true)
        #expect(report.autoPaused.contains { $0.hasPrefix("mailbox ada@example.com auto-paused") })
        // The campaign keeps the defaults: 20 sends are below their min_sends of 50, so it goes on.
        let campaignStatus = try fixture.store.read("read") { db in try CampaignQueries.find(db, slug: "q4-launch")!.status }
        #expect(campaignStatus == .active)
    }

    @Test("a paused mailbox postpones its leads by a day; resuming it makes them due at once")
    func pauseAndResume() throws {
        let fixture = try Fixture(now: "2026-11-23T10:00:00Z")
        let mailbox = Mailbox(address: "ada@example.com", timezone: "UTC", dailyCap: 100)
        try fixture.store.write("setup") { db in _ = try MailboxQueries.apply(db, [mailbox], now: fixture.clock.now()) }
        try fixture.apply(CampaignFactory.yaml(limits: "limits: { per_tick: 100, daily_quota: 1000, cooldown: 0s }"))
        try fixture.addLeads(["p1@example.org", "p2@example.org"])
        try fixture.tick()
        func setStatus(_ status: StoredMailbox.Status) throws {
            try fixture.store.write("status") { db in
                try MailboxQueries.setStatus(db, try MailboxQueries.find(db, address: "ada@example.com")!, status, reason: "test",
                                             now: fixture.clock.now())
            }
        }
        try setStatus(.paused)
        fixture.clock.advance(days: 3)  // the follow-up (72 h) is due
        let paused = try fixture.tick()
        #expect(paused.counters.dispatched == 0)
        let waiting = try fixture.store.read("read") { db in
            try String.fetchAll(db, sql: "SELECT next_action_at FROM leads ORDER BY id")
        }
        #expect(waiting == ["2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z"], "a day later")
        let skipped = try fixture.store.read("read") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions WHERE decision = 'skipped_mailbox_paused'")
        }
        #expect(skipped == 2)
        fixture.clock.advance(hours: 1)
        try setStatus(.active)
        #expect(try fixture.tick().counters.dispatched == 2, "due again at the resume")
    }
}
