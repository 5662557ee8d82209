import Foundation
import Testing
@testable import OutreachCore

/// The Store's methods: the one way the CLI and the server reach the database, each one
/// transaction that keeps one invariant. Run on SQLite and, in the PostgreSQL pass, on
/// PostgreSQL (the `Fixture` picks the database).
@Suite("Store boundary")
struct StoreBoundaryTests {
    /// A fixture whose campaign `q4-launch` is approved for live sending, with leads.
    func approvedFixture(leads: [String] = ["ada@example.org"]) throws -> Fixture {
        let fixture = try Fixture()
        try fixture.apply()
        _ = try fixture.store.approveCampaign(slug: "q4-launch", by: "Grace", clock: fixture.clock)
        try fixture.addLeads(leads)
        return fixture
    }

    func campaign(_ fixture: Fixture, _ slug: String = "q4-launch") throws -> StoredCampaign {
        try #require(try fixture.store.campaigns().first { $0.slug == slug })
    }

    // MARK: - Campaigns

    @Test("applying a campaign creates it with its lease, a second apply changes nothing, a content change revokes the approval")
    func applyTwice() throws {
        let fixture = try Fixture()
        let store = fixture.store
        let file = try CampaignFactory.campaign()

        guard case .created(let created) = try store.applyCampaign(file, from: "c.yaml", clock: fixture.clock) else {
            Issue.record("the first apply must create the campaign")
            return
        }
        let (shown, lease) = try store.campaignWithLease(slug: "q4-launch")
        #expect(shown.id == created.id)
        #expect(lease.campaignID == created.id && lease.owner == nil && lease.fencingToken == 0, "the lease row comes with the campaign")

        guard case .unchanged = try store.applyCampaign(file, from: "c.yaml", clock: fixture.clock) else {
            Issue.record("the same file again must change nothing")
            return
        }
        #expect(try store.campaigns().map(\.slug) == ["q4-launch"])

        let approved = try store.approveCampaign(slug: "q4-launch", by: "Grace", clock: fixture.clock)
        #expect(try campaign(fixture).isApproved)
        #expect(try campaign(fixture).latestApproval?.contentHash == approved.contentHash)

        let changed = try CampaignFactory.campaign(CampaignFactory.yaml(steps: "steps:\n  - { id: intro, subject: \"New\", body: \"Hi {{first_name}}\" }"))
        guard case .updated(let updated, let revoked) = try store.applyCampaign(changed, from: "c.yaml", clock: fixture.clock) else {
            Issue.record("new content must update the campaign")
            return
        }
        #expect(revoked)
        #expect(!updated.isApproved)
        #expect(updated.latestApproval?.approvedBy == "Grace", "the old approval stays on record")
    }

    @Test("pause stops ticks with its reason; resume lets them dispatch again and restarts the guardrail window")
    func pauseAndResume() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])

        try fixture.store.pauseCampaign(slug: "q4-launch", reason: "holiday", clock: fixture.clock)
        #expect(try campaign(fixture).status == .paused)
        #expect(try campaign(fixture).statusReason == "holiday")
        let paused = try fixture.tick()
        #expect(paused.stopReason == .paused)
        #expect(paused.counters.dispatched == 0)

        fixture.clock.advance(hours: 1)
        try fixture.store.resumeCampaign(slug: "q4-launch", clock: fixture.clock)
        #expect(try campaign(fixture).status == .active)
        #expect(try campaign(fixture).statusReason == nil)
        let since = try fixture.store.read("guardrails since") { db in
            try String.fetchOne(db, sql: "SELECT guardrails_since FROM campaigns WHERE slug = 'q4-launch'")
        }
        #expect(since == Timestamp.format(fixture.clock.now()))
        #expect(try fixture.tick().counters.dispatched == 1)

        let missing = #expect(throws: OutreachError.self) {
            try fixture.store.pauseCampaign(slug: "nope", reason: nil, clock: fixture.clock)
        }
        #expect(missing?.category == .badInput)
        #expect(missing?.message.contains("There is no campaign 'nope'") == true)
    }

    // MARK: - Jobs

    @Test("a failed job is retried once, then refused; cancelling it fails its lead, and a second cancel is refused")
    func retryAndCancel() throws {
        let fixture = try approvedFixture()
        try fixture.tick(mode: .live, transport: ScriptedTransport([.permanent("550 policy", invalidRecipient: false)]))
        #expect(try fixture.jobs().map(\.status) == [.failed])
        #expect(try fixture.lead("ada@example.org").status == .failed)

        let retried = try fixture.store.retryJob(id: 1, clock: fixture.clock)
        #expect(retried.status == .retryScheduled)
        let waiting = try fixture.lead("ada@example.org")
        #expect(waiting.status == .active && waiting.nextActionAt == nil, "the lead waits for the job again, not due on its own")
        let again = #expect(throws: OutreachError.self) { try fixture.store.retryJob(id: 1, clock: fixture.clock) }
        #expect(again?.category == .badInput)

        let cancelled = try fixture.store.cancelJob(id: 1, clock: fixture.clock)
        #expect(cancelled.status == .cancelled)
        let lead = try fixture.lead("ada@example.org")
        #expect(lead.status == .failed)
        #expect(lead.blockedReason == "job 1 cancelled by operator")
        let twice = #expect(throws: OutreachError.self) { try fixture.store.cancelJob(id: 1, clock: fixture.clock) }
        #expect(twice?.category == .badInput)

        var listed: [JobListing] = []
        try fixture.store.forEachJob(ofCampaign: "q4-launch", status: .cancelled) { listed.append($0) }
        #expect(listed.map(\.email) == ["ada@example.org"])
    }

    @Test("a proof job cannot be retried, and a job that does not exist is bad input")
    func retryRefusals() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        try fixture.tick()
        #expect(try fixture.jobs().map(\.status) == [.sentProof])

        let proof = #expect(throws: OutreachError.self) { try fixture.store.retryJob(id: 1, clock: fixture.clock) }
        #expect(proof?.category == .badInput)
        let missing = #expect(throws: OutreachError.self) { try fixture.store.cancelJob(id: 99, clock: fixture.clock) }
        #expect(missing?.message.contains("There is no job 99") == true)
        #expect(try fixture.jobs().map(\.status) == [.sentProof], "nothing changed")
        #expect(try fixture.store.runs(ofCampaign: "q4-launch").count == 1)
    }

    // MARK: - Lists

    @Test("recording an unsubscribe twice says already; one campaign's is separate; an unknown campaign records nothing")
    func unsubscribeTwice() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let store = fixture.store

        #expect(try store.recordUnsubscribe(email: "ada@example.org", campaign: nil, source: "form", clock: fixture.clock))
        #expect(try !store.recordUnsubscribe(email: "ada@example.org", campaign: nil, source: "form", clock: fixture.clock))
        #expect(try store.recordUnsubscribe(email: "ada@example.org", campaign: "q4-launch", source: nil, clock: fixture.clock))
        #expect(try !store.recordUnsubscribe(email: "ada@example.org", campaign: "q4-launch", source: nil, clock: fixture.clock))

        let unknown = #expect(throws: OutreachError.self) {
            try store.recordUnsubscribe(email: "bob@example.org", campaign: "nope", source: nil, clock: fixture.clock)
        }
        #expect(unknown?.category == .badInput)
        let rows = try store.unsubscribes()
        #expect(rows.count == 2)
        #expect(Set(rows.map(\.campaignSlug)) == [nil, "q4-launch"])
        #expect(!rows.contains { $0.email == "bob@example.org" })
    }

    @Test("a suppression added again is unchanged, with another reason it is replaced (history kept), removed once")
    func suppressions() throws {
        let fixture = try Fixture()
        let store = fixture.store

        #expect(try store.suppress(.email, "ada@example.org", reason: "bounce", until: nil, clock: fixture.clock) == .added)
        #expect(try store.suppress(.email, "ada@example.org", reason: "bounce", until: nil, clock: fixture.clock) == .unchanged)
        fixture.clock.advance(seconds: 1)
        #expect(try store.suppress(.email, "ada@example.org", reason: "complaint", until: nil, clock: fixture.clock) == .replaced)
        #expect(try store.suppressions(includeRemoved: false).map(\.reason) == ["complaint"], "one active suppression")
        #expect(try store.suppressions(includeRemoved: true).count == 2)

        #expect(try store.removeSuppression(.email, "ada@example.org", clock: fixture.clock))
        #expect(try !store.removeSuppression(.email, "ada@example.org", clock: fixture.clock))
        #expect(try store.suppressions(includeRemoved: false).isEmpty)
        #expect(try store.suppressions(includeRemoved: true).count == 2)
    }

    @Test("the kill switch stops every campaign's tick and says since when; off lets them dispatch")
    func killSwitch() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])

        try fixture.store.setKillSwitch(on: true, reason: "incident", clock: fixture.clock)
        #expect(try fixture.store.killSwitch() == KillSwitch(enabled: true, reason: "incident", changedAt: fixture.clock.now()))
        #expect(try fixture.tick().stopReason == .killSwitch)

        try fixture.store.setKillSwitch(on: false, reason: nil, clock: fixture.clock)
        #expect(try !fixture.store.killSwitch().enabled)
        #expect(try fixture.tick().counters.dispatched == 1)
    }

    // MARK: - Leads

    @Test("do-not-contact is set once and sticks; an unknown lead is bad input")
    func doNotContact() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])

        #expect(try fixture.store.markDoNotContact(slug: "q4-launch", email: " Ada@Example.org ", reason: "asked", clock: fixture.clock))
        #expect(try !fixture.store.markDoNotContact(slug: "q4-launch", email: "ada@example.org", reason: "again", clock: fixture.clock))
        let lead = try fixture.lead("ada@example.org")
        #expect(lead.dnc && lead.dncReason == "asked")
        #expect(try fixture.tick().decisionCounts[.skippedDNC] == 1)

        let missing = #expect(throws: OutreachError.self) {
            try fixture.store.markDoNotContact(slug: "q4-launch", email: "bob@example.org", reason: nil, clock: fixture.clock)
        }
        #expect(missing?.message.contains("has no lead bob@example.org") == true)
    }

    @Test("forgetting a person blanks their leads in every campaign, drops their list entries, keeps only the hash; twice says already")
    func forgetPerson() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.apply(CampaignFactory.yaml(slug: "second"))
        try fixture.addLeads(["ada@example.org", "bob@example.org"])
        try fixture.addLeads(["ada@example.org"], slug: "second")
        _ = try fixture.store.recordUnsubscribe(email: "ada@example.org", campaign: "second", source: "reply", clock: fixture.clock)
        _ = try fixture.store.suppress(.email, "ada@example.org", reason: "bounce", until: nil, clock: fixture.clock)

        let report = try fixture.store.forgetPerson(email: "Ada@Example.org", clock: fixture.clock)
        #expect(report.leads == 2 && report.campaigns == 2)
        #expect(report.unsubscribes == 1 && report.suppressions == 1)
        #expect(!report.alreadyForgotten)
        #expect(report.emailSHA256 == SHA256Digest.hex(of: "ada@example.org"))

        var emails: [String] = []
        for slug in ["q4-launch", "second"] {
            try fixture.store.forEachLead(ofCampaign: slug, status: nil) { emails.append($0.email) }
        }
        #expect(!emails.contains("ada@example.org"))
        #expect(emails.contains("bob@example.org"), "nobody else is touched")
        #expect(emails.filter { $0.hasSuffix("@forgotten.invalid") }.count == 2, "the rows stay, blanked")
        #expect(try fixture.store.unsubscribes().isEmpty)
        #expect(try fixture.store.suppressions(includeRemoved: true).isEmpty)

        // Never stored again, by any way in.
        #expect(try !fixture.store.recordUnsubscribe(email: "ada@example.org", campaign: nil, source: nil, clock: fixture.clock))
        #expect(try fixture.importLeads("email\nada@example.org\n").forgotten == 1)
        let again = try fixture.store.forgetPerson(email: "ada@example.org", clock: fixture.clock)
        #expect(again.alreadyForgotten)
        #expect(again.leads == 0)
    }

    @Test("leads show judges the lead from one snapshot: kill switch, decisions, the next step and its sender")
    func inspectLead() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let now = fixture.clock.now()

        let fresh = try fixture.store.inspectLead(slug: "q4-launch", email: "ADA@example.org", now: now, secrets: nil)
        #expect(fresh.lead.email == "ada@example.org")
        #expect(fresh.eligibility == "Eligible now: the next tick sends step 1 (intro) from ada@example.com.")
        #expect(fresh.decisions.isEmpty && fresh.jobs.isEmpty)

        try fixture.store.setKillSwitch(on: true, reason: nil, clock: fixture.clock)
        let stopped = try fixture.store.inspectLead(slug: "q4-launch", email: "ada@example.org", now: now, secrets: nil)
        #expect(stopped.eligibility.hasPrefix("The kill switch is on; otherwise: Eligible now"))
        try fixture.store.setKillSwitch(on: false, reason: nil, clock: fixture.clock)

        let report = try fixture.tick()
        let after = try fixture.store.inspectLead(slug: "q4-launch", email: "ada@example.org", now: now, secrets: nil)
        #expect(after.decisions.map(\.kind) == ["dispatched"])
        #expect(after.decisions.map(\.runID) == [report.runID])
        #expect(after.jobs.map(\.stepID) == ["intro"])
        #expect(after.eligibility.hasPrefix("Not due until "), "the follow-up waits for its delay")

        let missing = #expect(throws: OutreachError.self) {
            try fixture.store.inspectLead(slug: "q4-launch", email: "bob@example.org", now: now, secrets: nil)
        }
        #expect(missing?.category == .badInput)
    }

    // MARK: - Mailboxes

    @Test("applying mailboxes twice changes nothing the second time; a resume brings back at once the leads its pause postponed")
    func mailboxes() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let mailbox = Mailbox(address: "ada@example.com", timezone: "UTC", dailyCap: 10)

        #expect(try fixture.store.applyMailboxes([mailbox], from: "m.yaml", clock: fixture.clock).map(\.1) == [.created])
        #expect(try fixture.store.applyMailboxes([mailbox], from: "m.yaml", clock: fixture.clock).map(\.1) == [.unchanged])
        let details = try fixture.store.mailboxDetails(address: "ADA@example.com", now: fixture.clock.now())
        #expect(details.campaigns == ["q4-launch"])
        #expect(details.status.allowanceToday == 10)
        #expect(try fixture.tick().counters.dispatched == 1)
        #expect(try fixture.lead("ada@example.org").sender == "ada@example.com")
        let sent = try fixture.store.mailboxDetails(address: "ada@example.com", now: fixture.clock.now())
        #expect(sent.sentTodayByCampaign.map(\.0) == ["q4-launch"] && sent.sentTodayByCampaign.map(\.1) == [1])

        // The follow-up is due, but its mailbox is paused: the lead waits a day...
        fixture.clock.advance(hours: 73)
        let paused = try fixture.store.pauseMailbox(address: "ada@example.com", reason: "warming", clock: fixture.clock)
        #expect(paused.address == "ada@example.com")
        #expect(try fixture.store.mailboxStatuses(now: fixture.clock.now()).map(\.stored.status) == [.paused])
        #expect(try fixture.tick().decisionCounts[.skippedMailboxPaused] == 1)
        #expect(try fixture.lead("ada@example.org").nextActionAt! > fixture.clock.now())

        // ...unless the mailbox is resumed, which makes it due at once.
        fixture.clock.advance(seconds: 60)
        _ = try fixture.store.resumeMailbox(address: "ada@example.com", clock: fixture.clock)
        #expect(try fixture.store.mailboxStatuses(now: fixture.clock.now()).map(\.stored.status) == [.active])
        #expect(try fixture.lead("ada@example.org").nextActionAt == fixture.clock.now())
        #expect(try fixture.tick().counters.dispatched == 1)
        #expect(try fixture.lead("ada@example.org").stepIndex == 2)
    }

    // MARK: - Reports and checks

    @Test("a clock more than the tolerance behind what the database recorded is refused; within it, accepted")
    func clockGuard() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.tick()
        let recorded = fixture.clock.now()
        let tolerance = Double(SafetyQueries.clockToleranceSeconds)

        try fixture.store.checkClock(now: recorded.addingTimeInterval(-tolerance + 60))
        let behind = #expect(throws: OutreachError.self) {
            try fixture.store.checkClock(now: recorded.addingTimeInterval(-tolerance - 60))
        }
        #expect(behind?.category == .configuration)
        #expect(behind?.message.contains("The clock went backwards") == true)
        try fixture.store.checkDatabase()
    }

    @Test("metrics come from one snapshot: the file and the text agree, pauses and last success show")
    func metrics() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        #expect(try fixture.store.metricsText(now: fixture.clock.now())
            .contains("outreach_last_success_timestamp_seconds{campaign=\"q4-launch\"} 0\n"), "never succeeded yet")

        let report = try fixture.tick()
        try fixture.store.pauseCampaign(slug: "q4-launch", reason: nil, clock: fixture.clock)
        let text = try fixture.store.metricsText(now: fixture.clock.now())
        #expect(text.contains("outreach_campaign_paused{campaign=\"q4-launch\"} 1\n"))
        #expect(text.contains("outreach_last_run_decisions{campaign=\"q4-launch\",decision=\"dispatched\"} 1\n"))
        #expect(text.contains("outreach_last_success_timestamp_seconds{campaign=\"q4-launch\"} \(Int(report.finishedAt.timeIntervalSince1970))\n"))

        let path = fixture.directory.appendingPathComponent("metrics.prom").path
        try fixture.store.writeMetrics(to: path, now: fixture.clock.now())
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    @Test("verify and status read every campaign from one snapshot")
    func verifyAndStatus() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.apply(CampaignFactory.yaml(slug: "second"))
        try fixture.addLeads(["ada@example.org"])
        try fixture.tick()

        let results = try fixture.store.verifyProofChecks(slugs: [])
        #expect(Set(results.map(\.slug)) == ["q4-launch", "second"])
        #expect(results.allSatisfy { $0.violations == 0 })
        #expect(try fixture.store.verifyProofChecks(slugs: ["second"]).allSatisfy { $0.slug == "second" })

        let statuses = try fixture.store.campaignStatuses(slug: nil, now: fixture.clock.now())
        #expect(statuses.map(\.slug) == ["q4-launch", "second"])
        #expect(statuses.first?.quotaUsedToday == 1)
        #expect(try fixture.store.campaignStatuses(slug: "second", now: fixture.clock.now()).map(\.quotaUsedToday) == [0])
    }

    @Test("a dry-run tick exports its artifacts from its own rows, then rolls every change back")
    func dryRunArtifacts() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let root = fixture.directory.appendingPathComponent("artifacts").path
        let request = TickRequest(slug: "q4-launch", dryRun: true)

        let (report, written) = try Tick(request: request, dependencies: fixture.dependencies())
            .run(store: fixture.store, artifacts: TickArtifacts(root: root))
        #expect(report.counters.dispatched == 1)
        let directory = try #require(written?.directory)
        #expect(directory.hasSuffix("/q4-launch/\(report.runID)"))
        #expect(try String(contentsOfFile: directory + "/leads.csv", encoding: .utf8).contains("ada@example.org"))
        #expect(written?.checksPassed == true)

        #expect(try fixture.store.runs(ofCampaign: "q4-launch").isEmpty, "the dry run left no run behind")
        #expect(try fixture.jobs().isEmpty)
        #expect(try fixture.lead("ada@example.org").status == .new)
        let export = #expect(throws: OutreachError.self) {
            try fixture.store.exportRun(slug: "q4-launch", runID: nil, root: root)
        }
        #expect(export?.message.contains("has no runs yet") == true)

        // Once the lead is sent for real, a tick has nothing to consider: no folder unless asked.
        let tick = Tick(request: TickRequest(slug: "q4-launch"), dependencies: fixture.dependencies())
        #expect(try tick.run(store: fixture.store).counters.dispatched == 1)
        let (idle, none) = try tick.run(store: fixture.store, artifacts: TickArtifacts(root: root))
        #expect(idle.counters.considered == 0 && none == nil)
        let (_, always) = try tick.run(store: fixture.store, artifacts: TickArtifacts(root: root, always: true))
        #expect(always != nil)
    }
}
