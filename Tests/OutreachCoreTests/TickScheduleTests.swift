import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// The tick's limits and schedule: per-tick limit, daily quota, windows, cooldown, sequences,
/// template errors, dry runs and signals.
@Suite("Tick schedule")
struct TickScheduleTests {
    @Test("the per-tick limit and --limit cap dispatches; the rest stay due for the next tick")
    func perTickLimit() throws {
        let fixture = try Fixture()
        try fixture.apply(CampaignFactory.yaml(limits: "limits: { per_tick: 3, daily_quota: 100, cooldown: 0s }"))
        try fixture.addLeads((1...10).map { "lead\($0)@example.org" })

        let first = try fixture.tick()
        let second = try fixture.tick(limit: 2)
        let third = try fixture.tick(limit: 50)

        #expect(first.counters.dispatched == 3)
        #expect(first.stopReason == .perTickLimit)
        #expect(first.status == .completed)
        #expect(second.counters.dispatched == 2)
        #expect(third.counters.dispatched == 3)
        // Leads go in (next_action_at, id) order.
        let order = try fixture.jobs().map(\.leadID)
        #expect(order == order.sorted())
    }

    @Test("the daily quota holds across ticks and resets at midnight in the campaign's time zone")
    func quotaAcrossTicksAndMidnight() throws {
        // 2026-11-23 22:30 in New York is 03:30 UTC on the 24th.
        let fixture = try Fixture(now: "2026-11-24T03:30:00Z")
        try fixture.apply(CampaignFactory.yaml(
            timezone: "America/New_York", limits: "limits: { per_tick: 4, daily_quota: 5, cooldown: 0s }"))
        try fixture.addLeads((1...12).map { "lead\($0)@example.org" })

        let first = try fixture.tick()
        let second = try fixture.tick()
        let third = try fixture.tick()

        #expect(first.counters.dispatched == 4)
        #expect(second.counters.dispatched == 1)
        #expect(second.stopReason == .dailyQuota)
        #expect(second.decisionCounts[.skippedQuota] == 1)
        #expect(third.stopReason == .dailyQuota)
        #expect(third.counters.dispatched == 0)

        // Still the 23rd in New York at 04:59 UTC; the 24th begins at 05:00 UTC.
        fixture.clock.set("2026-11-24T04:59:00Z")
        #expect(try fixture.tick().counters.dispatched == 0)
        fixture.clock.set("2026-11-24T05:00:00Z")
        let nextDay = try fixture.tick()
        #expect(nextDay.counters.dispatched == 4)
        #expect(nextDay.quotaUsed == 4)
        #expect(try fixture.scalar("SELECT count(*) FROM decisions WHERE quota_day = '2026-11-23'") == 5)
        #expect(try fixture.scalar("SELECT count(*) FROM decisions WHERE quota_day = '2026-11-24'") == 4)
    }

    @Test("with recipient time zones, each lead waits for its own window and moves to its next opening")
    func recipientTimezoneWindows() throws {
        // Monday 2026-11-23 15:00 UTC: 10:00 in New York, 16:00 in Paris, 00:00 (Tuesday) in Tokyo.
        let fixture = try Fixture(now: "2026-11-23T15:00:00Z")
        try fixture.apply(CampaignFactory.yaml(
            timezone: "Europe/London",
            window: "window: { days: [mon, tue, wed, thu, fri], start: \"09:00\", end: \"17:00\", recipient_timezone: true }"))
        try fixture.importLeads("""
            email,first_name,company,timezone
            ny@example.org,Ny,Acme,America/New_York
            paris@example.org,Paris,Acme,Europe/Paris
            tokyo@example.org,Tokyo,Acme,Asia/Tokyo
            london@example.org,London,Acme,
            """)

        let report = try fixture.tick()

        #expect(report.counters.dispatched == 3)
        let tokyo = try fixture.lead("tokyo@example.org")
        #expect(tokyo.stepIndex == 0)
        // Tuesday 09:00 in Tokyo is Tuesday 00:00 UTC.
        #expect(tokyo.nextActionAt == Timestamp.parse("2026-11-24T00:00:00Z"))
        let decisions = Dictionary(uniqueKeysWithValues: try fixture.decisions(runID: report.runID).map { ($0.email, $0.decision) })
        #expect(decisions["tokyo@example.org"] == "skipped_window")
        #expect(decisions["london@example.org"] == "dispatched")
    }

    @Test("outside the campaign window the tick stops at its gate and exits cleanly")
    func campaignWindowGate() throws {
        // Saturday.
        let fixture = try Fixture(now: "2026-11-28T12:00:00Z")
        try fixture.apply(CampaignFactory.yaml(window: "window: { days: [mon, tue, wed, thu, fri], start: \"09:00\", end: \"17:00\" }"))
        try fixture.addLeads(["ada@example.org"])

        let report = try fixture.tick()

        #expect(report.status == .stopped)
        #expect(report.stopReason == .outsideWindow)
        #expect(try fixture.jobs().isEmpty)
    }

    @Test("a three-step sequence runs to completion as the clock moves forward")
    func threeStepSequence() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])

        try fixture.tick()
        fixture.clock.advance(hours: 71)
        #expect(try fixture.tick().counters.dispatched == 0)
        fixture.clock.advance(hours: 1)
        #expect(try fixture.tick().counters.dispatched == 1)
        fixture.clock.advance(hours: 168)
        #expect(try fixture.tick().counters.dispatched == 1)
        fixture.clock.advance(days: 30)
        #expect(try fixture.tick().counters.dispatched == 0)

        let ada = try fixture.lead("ada@example.org")
        #expect(ada.status == .completed)
        #expect(ada.stepIndex == 3)
        #expect(ada.nextActionAt == nil)
        #expect(try fixture.jobs().map(\.stepID) == ["intro", "followup1", "followup2"])
    }

    @Test("cooldown applies across campaigns: a person contacted by one campaign waits before the next")
    func cooldownAcrossCampaigns() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.apply(CampaignFactory.yaml(slug: "other"))
        try fixture.addLeads(["ada@example.org"])
        try fixture.addLeads(["ada@example.org"], slug: "other")

        try fixture.tick()
        let other = try fixture.tick("other")

        #expect(other.decisionCounts[.skippedCooldown] == 1)
        #expect(try fixture.lead("ada@example.org", slug: "other").nextActionAt == fixture.clock.now().addingTimeInterval(86_400))
    }

    @Test("a missing template variable skips the lead without advancing it, every tick, until it is fixed")
    func templateErrorLeavesLeadUntouched() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.importLeads("email,company\nnoname@example.org,Acme\n")

        let report = try fixture.tick()

        #expect(report.decisionCounts[.skippedTemplateError] == 1)
        let lead = try fixture.lead("noname@example.org")
        #expect(lead.status == .new)
        #expect(lead.stepIndex == 0)
        #expect(try fixture.jobs().isEmpty)
        // Fixed by a re-import, the lead goes out on the next tick.
        try fixture.importLeads("email,first_name,company\nnoname@example.org,Nora,Acme\n")
        #expect(try fixture.tick().counters.dispatched == 1)
    }

    @Test("a zero-delay step is not sent in the same tick as the step before it")
    func zeroDelayStepWaitsForNextTick() throws {
        let fixture = try Fixture()
        try fixture.apply(CampaignFactory.yaml(
            limits: "limits: { per_tick: 25, daily_quota: 200, cooldown: 0s }",
            steps: """
                steps:
                  - { id: one, delay: 0h, subject: "One", body: "One" }
                  - { id: two, delay: 0h, subject: "Two", body: "Two" }
                """))
        try fixture.addLeads(["ada@example.org"])

        let first = try fixture.tick()
        let second = try fixture.tick()

        #expect(first.counters.dispatched == 1)
        #expect(second.counters.dispatched == 1)
        #expect(try fixture.lead("ada@example.org").status == .completed)
    }

    @Test("a dry run reports what it would do and leaves the database exactly as it was")
    func dryRunRollsBack() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org"])

        let report = try fixture.tick(dryRun: true)

        #expect(report.counters.dispatched == 2)
        #expect(report.runID.hasSuffix("-dry"))
        #expect(try fixture.jobs().isEmpty)
        #expect(try fixture.scalar("SELECT count(*) FROM runs") == 0)
        #expect(try fixture.scalar("SELECT fencing_token FROM leases") == 0)
        #expect(try fixture.lead("ada@example.org").status == .new)
    }

    @Test("a stop signal finishes the current lead, records the run as stopped and frees the lease")
    func stopSignal() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads((1...5).map { "lead\($0)@example.org" })
        let flag = StopFlag()

        let report = try fixture.tick(groupSize: 1, stopFlag: flag, afterCommit: { flag.set() })

        #expect(report.status == .stopped)
        #expect(report.stopReason == .signal)
        #expect(report.counters.dispatched == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM leases WHERE owner IS NULL") == 1)
    }
}
