import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// Live dispatch (SPEC §4 steps 2–3, 6–7): approval, two-phase claims, retries, breaker,
/// crash recovery, operator re-dispatch.
@Suite("Live tick")
struct LiveTickTests {
    func approvedFixture(leads: [String] = ["ada@example.org"], limits: String? = nil) throws -> Fixture {
        let fixture = try Fixture()
        let stored = try fixture.apply(limits.map { CampaignFactory.yaml(limits: $0) } ?? CampaignFactory.yaml())
        try fixture.store.write("approve") { db in try CampaignQueries.approve(db, stored, by: "Grace", now: fixture.clock.now()) }
        try fixture.addLeads(leads)
        return fixture
    }

    func job(_ fixture: Fixture, _ id: Int64 = 1) throws -> Job {
        try #require(try fixture.store.read("job") { db in try JobQueries.find(db, id: id) })
    }

    @Test("a live tick needs an approval of the current content; a content change revokes it")
    func approvalGate() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        let transport = ScriptedTransport()

        let unapproved = try fixture.tick(mode: .live, transport: transport)
        #expect(unapproved.failure?.category == .configuration)
        #expect(unapproved.stopReason == .unapproved)
        #expect(transport.messages.isEmpty)
        #expect(try fixture.tick(mode: .live, transport: transport, dryRun: true).failure == nil, "dry runs are always allowed")
        #expect(transport.messages.isEmpty, "a dry run sends nothing")

        try fixture.store.write("approve") { db in try CampaignQueries.approve(db, stored, by: "Grace", now: fixture.clock.now()) }
        let approved = try fixture.tick(mode: .live, transport: transport)
        #expect(approved.failure == nil)
        #expect(transport.messages.map(\.to) == ["ada@example.org"])

        // A new subject revokes the approval.
        try fixture.apply(CampaignFactory.yaml(steps: "steps:\n  - { id: intro, subject: \"New\", body: \"Hi {{first_name}}\" }"))
        let revoked = try fixture.tick(mode: .live, transport: transport)
        #expect(revoked.stopReason == .unapproved)
        let current = try fixture.store.read("c") { db in try CampaignQueries.require(db, slug: "q4-launch") }
        #expect(!current.isApproved)
        #expect(current.latestApproval?.approvedBy == "Grace")
        #expect(try fixture.tick(mode: .proof).failure == nil, "proof runs are always allowed")
    }

    @Test("a sent live job is sent, its lead advances, and the decision records the result")
    func liveSend() throws {
        let fixture = try approvedFixture()
        let transport = ScriptedTransport()

        let report = try fixture.tick(mode: .live, transport: transport)

        #expect(report.counters.dispatched == 1)
        #expect(try job(fixture).status == .sent)
        #expect(try fixture.lead("ada@example.org").stepIndex == 1)
        #expect(transport.messages.first?.idempotencyKey == (try fixture.installationID()) + ":1:1:intro:0")
        #expect(try fixture.scalar("SELECT count(*) FROM decisions WHERE job_status = 'sent' AND status_after = 'active'") == 1)
    }

    @Test("transient failures retry with growing gaps, reuse the message and key, and end dead")
    func retriesToDead() throws {
        let fixture = try approvedFixture()
        let transport = ScriptedTransport(Array(repeating: .transient("EX_TEMPFAIL"), count: 10))
        var gaps: [Double] = []

        try fixture.tick(mode: .live, transport: transport)
        for attempt in 1...3 {
            let pending = try job(fixture)
            #expect(pending.status == .retryScheduled)
            #expect(pending.attempt == attempt)
            let gap = pending.nextAttemptAt!.timeIntervalSince(fixture.clock.now())
            gaps.append(gap)
            // Not yet due: nothing happens.
            fixture.clock.advance(seconds: gap - 1)
            #expect(try fixture.tick(mode: .live, transport: transport).counters.dispatched == 0)
            fixture.clock.advance(seconds: 1)
            let retry = try fixture.tick(mode: .live, transport: transport)
            #expect(retry.decisionCounts[.retryDispatched] == 1)
        }

        #expect(try job(fixture).status == .dead)
        #expect(try job(fixture).attempt == 4)
        #expect(try fixture.lead("ada@example.org").status == .failed)
        for (index, gap) in gaps.enumerated() {
            let nominal = 300.0 * pow(2, Double(index))
            #expect(gap >= nominal * 0.9 && gap <= nominal * 1.1, "gap \(index + 1) is \(gap)")
        }
        #expect(Set(transport.messages.map(\.idempotencyKey)).count == 1)
        #expect(Set(transport.messages.map(\.messageID)).count == 1)
        #expect(transport.messages.count == 4)
    }

    @Test("a permanent failure fails the job; an invalid recipient also suppresses the address")
    func permanentFailures() throws {
        let fixture = try approvedFixture(leads: ["ada@example.org", "nobody@example.org"])
        let transport = ScriptedTransport([.permanent("550 policy", invalidRecipient: false),
                                           .permanent("550 no such user", invalidRecipient: true)])

        try fixture.tick(mode: .live, transport: transport)

        #expect(try job(fixture, 1).status == .failed)
        #expect(try fixture.lead("ada@example.org").status == .failed)
        #expect(try fixture.lead("nobody@example.org").status == .bounced)
        #expect(try fixture.scalar("SELECT count(*) FROM suppressions WHERE value = 'nobody@example.org'") == 1)
    }

    @Test("the breaker opens after five consecutive transient failures, stays open across ticks, then one trial decides")
    func breaker() throws {
        let fixture = try approvedFixture(leads: (1...8).map { "lead\($0)@example.org" })
        let transport = ScriptedTransport(Array(repeating: .transient("503"), count: 5))

        let first = try fixture.tick(mode: .live, transport: transport)
        #expect(transport.messages.count == 5)
        #expect(first.stopReason == .circuitOpen)
        #expect(first.decisionCounts[.skippedCircuitOpen] == 1)
        let state = try #require(try fixture.store.read("b") { db in try BreakerQueries.state(db, key: "scripted") })
        #expect(state.state == .open)

        fixture.clock.advance(seconds: 600)
        let second = try fixture.tick(mode: .live, transport: transport)
        #expect(second.stopReason == .circuitOpen)
        #expect(transport.messages.count == 5, "nothing is sent while the breaker is open")
        #expect(try fixture.scalar("SELECT count(*) FROM leads WHERE status = 'new' AND next_action_at IS NOT NULL") == 3,
                "leads never tried are untouched")

        fixture.clock.advance(seconds: 301)
        let third = try fixture.tick(mode: .live, transport: transport)
        #expect(third.counters.dispatched >= 1)
        #expect(try fixture.store.read("b") { db in try BreakerQueries.state(db, key: "scripted") }?.state == .closed)
    }

    @Test("the kill switch turned on while a send is in flight stops the tick before its next send")
    func killSwitchDuringSend() throws {
        let fixture = try approvedFixture(leads: ["a1@example.org", "a2@example.org", "a3@example.org"])
        let operatorConnection = try fixture.otherConnection()
        let transport = ScriptedTransport(onSend: { _ in
            try? operatorConnection.write("kill") { db in try ListQueries.setKillSwitch(db, enabled: true, reason: "stop", now: Date()) }
        })

        let report = try fixture.tick(mode: .live, transport: transport)

        #expect(transport.messages.count == 1)
        #expect(report.status == .stopped)
        #expect(report.stopReason == .killSwitch)
        #expect(try job(fixture).status == .sent, "the send in flight is still recorded")
    }

    @Test("a crash between claim and result leaves the job unknown; it is never re-sent until an operator retries it", .sqliteClockLeases)
    func crashRecovery() throws {
        let fixture = try approvedFixture(leads: ["ada@example.org", "bob@example.org"])
        let other = try fixture.otherConnection()
        // The process "dies" during the first send: simulated by losing the lease mid-send,
        // so the result can never be recorded, exactly as after kill -9.
        let crash = ScriptedTransport(onSend: { _ in
            try? other.write("crash") { db in
                try db.execute(sql: "UPDATE leases SET owner = 'dead:1:x', fencing_token = fencing_token + 1")
            }
        })
        let crashed = try fixture.tick(mode: .live, transport: crash)
        #expect(crashed.status == .leaseLost)
        #expect(try job(fixture).status == .dispatching)

        // The next tick (the dead owner's lease is taken over) recovers, and sends only the others.
        try fixture.execute("UPDATE leases SET expires_at = ?", [Timestamp.format(fixture.clock.now())])
        let transport = ScriptedTransport()
        let next = try fixture.tick(mode: .live, transport: transport)
        #expect(next.counters.unknownRecovered == 1)
        #expect(try job(fixture).status == .unknown)
        #expect(transport.messages.map(\.to) == ["bob@example.org"])
        #expect(try fixture.scalar("SELECT count(*) FROM job_recoveries") == 1)
        let run = try fixture.store.read("r") { db in try RunQueries.find(db, id: crashed.runID) }
        #expect(run?.status == .leaseLost)

        // Nothing re-sends it by itself...
        fixture.clock.advance(days: 1)
        try fixture.tick(mode: .live, transport: transport)
        #expect(transport.messages.count == 1)
        // ...until an operator decides to.
        _ = try fixture.store.write("retry") { db in try JobQueries.scheduleRetry(db, jobID: 1, now: fixture.clock.now()) }
        let retried = try fixture.tick(mode: .live, transport: transport)
        #expect(retried.decisionCounts[.retryDispatched] == 1)
        #expect(transport.messages.last?.idempotencyKey == (try fixture.installationID()) + ":1:1:intro:0")
        #expect(try job(fixture).status == .sent)
        #expect(try job(fixture).attempt == 2)
    }

    @Test("a retry re-checks the rules: an address unsubscribed meanwhile is cancelled, not sent")
    func retryRechecksCompliance() throws {
        let fixture = try approvedFixture()
        let transport = ScriptedTransport([.transient("busy")])
        try fixture.tick(mode: .live, transport: transport)
        _ = try fixture.store.write("unsubscribe") { db in
            try ListQueries.addUnsubscribe(db, email: "ada@example.org", campaignID: nil, source: "reply", now: fixture.clock.now())
        }
        fixture.clock.advance(hours: 1)

        let report = try fixture.tick(mode: .live, transport: transport)

        #expect(report.decisionCounts[.skippedUnsubscribed] == 1)
        #expect(try job(fixture).status == .cancelled)
        #expect(try fixture.lead("ada@example.org").status == .blocked)
        #expect(transport.messages.count == 1)
    }

    @Test("jobs cancel ends a pending job and reports its lead as failed")
    func cancel() throws {
        let fixture = try approvedFixture()
        try fixture.tick(mode: .live, transport: ScriptedTransport([.transient("busy")]))
        _ = try fixture.store.write("cancel") { db in try JobQueries.cancel(db, jobID: 1, now: fixture.clock.now()) }
        fixture.clock.advance(days: 1)
        let transport = ScriptedTransport()
        try fixture.tick(mode: .live, transport: transport)
        #expect(transport.messages.isEmpty)
        #expect(try job(fixture).status == .cancelled)
        #expect(try fixture.lead("ada@example.org").status == .failed)
        let error = #expect(throws: OutreachError.self) {
            try fixture.store.write("retry") { db in try JobQueries.cancel(db, jobID: 1, now: fixture.clock.now()) }
        }
        #expect(error?.category == .badInput)
    }

    @Test("the breaker policy in isolation")
    func breakerPolicy() {
        let policy = CircuitBreaker(threshold: 2, cooldownSeconds: 60)
        let now = Date(timeIntervalSince1970: 1_000)
        var state = policy.record(.transient("x"), on: nil, key: "k", now: now)
        #expect(state.state == .closed)
        #expect(policy.permission(state, key: "k", now: now) == .allowed)
        state = policy.record(.transient("x"), on: state, key: "k", now: now)
        #expect(state.state == .open)
        #expect(policy.permission(state, key: "k", now: now.addingTimeInterval(59)) == .blocked(until: now.addingTimeInterval(60)))
        guard case .trial(let trial) = policy.permission(state, key: "k", now: now.addingTimeInterval(60)) else {
            Issue.record("expected a trial")
            return
        }
        #expect(trial.state == .halfOpen)
        #expect(policy.record(.transient("x"), on: trial, key: "k", now: now.addingTimeInterval(60)).state == .open)
        #expect(policy.record(.sent, on: trial, key: "k", now: now.addingTimeInterval(60)).state == .closed)
        #expect(policy.record(.permanent("4xx", invalidRecipient: false), on: state, key: "k", now: now).consecutiveFailures == 0)
    }
}
