import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// The tick in proof mode: the scenarios of the original design and the rules of SPEC §4.
@Suite("Tick")
struct TickTests {
    @Test("a proof tick creates one job per due lead and advances the leads")
    func proofTickCreatesJobsAndAdvancesLeads() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org", "cy@example.net"])

        let report = try fixture.tick()

        #expect(report.status == .completed)
        #expect(report.counters.dispatched == 3)
        let jobs = try fixture.jobs()
        #expect(jobs.count == 3)
        #expect(jobs.allSatisfy { $0.status == .sentProof && $0.stepIndex == 0 && $0.stepID == "intro" && $0.attempt == 1 })
        let ada = try fixture.lead("ada@example.org")
        #expect(ada.status == .active)
        #expect(ada.stepIndex == 1)
        #expect(ada.lastContactedAt == fixture.clock.now())
        #expect(ada.nextActionAt == fixture.clock.now().addingTimeInterval(72 * 3600))
        #expect(jobs[0].idempotencyKey == "\(jobs[0].campaignID):\(ada.id):intro:0")
        // Every considered lead has exactly one decision in the run.
        #expect(try fixture.decisions(runID: report.runID).map(\.decision) == ["dispatched", "dispatched", "dispatched"])
        #expect(try fixture.scalar("SELECT count(*) FROM job_messages") == 3)
    }

    @Test("repeated ticks never create a second job for the same lead and step")
    func repeatedTicksNeverDuplicate() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org", "bob@example.org"])

        for _ in 0..<5 { try fixture.tick() }
        fixture.clock.advance(hours: 1)
        for _ in 0..<5 { try fixture.tick() }

        #expect(try fixture.jobs().count == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM (SELECT idempotency_key FROM jobs GROUP BY 1 HAVING count(*) > 1) AS v") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM runs") == 10)
    }

    @Test("a paused campaign dispatches nothing and records the stop reason")
    func pauseBlocks() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        try fixture.store.write("pause") { db in
            try CampaignQueries.setStatus(db, id: stored.id, .paused, reason: "legal review", now: fixture.clock.now())
        }

        let report = try fixture.tick()

        #expect(report.status == .stopped)
        #expect(report.stopReason == .paused)
        #expect(try fixture.jobs().isEmpty)
        #expect(try fixture.lead("ada@example.org").status == .new)
    }

    @Test("the kill switch stops a tick at its start")
    func killSwitchBlocksAtStart() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        try fixture.store.write("kill") { db in try ListQueries.setKillSwitch(db, enabled: true, reason: "incident", now: fixture.clock.now()) }

        let report = try fixture.tick()

        #expect(report.stopReason == .killSwitch)
        #expect(try fixture.jobs().isEmpty)
        let run = try #require(try fixture.store.read("run") { db in try RunQueries.find(db, id: report.runID) })
        #expect(run.status == .stopped)
        #expect(run.stopReason == "kill_switch")
    }

    @Test("the kill switch flipped by another process between two leads stops the tick before the next dispatch")
    func killSwitchBetweenLeads() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["a1@example.org", "a2@example.org", "a3@example.org"])
        let operatorConnection = try fixture.otherConnection()
        let flipped = LockedFlag()

        // When: after the first lead commits, an operator turns the kill switch on.
        let report = try fixture.tick(groupSize: 1, afterCommit: {
            if !flipped.value {
                flipped.value = true
                try? operatorConnection.write("kill") { db in
                    try ListQueries.setKillSwitch(db, enabled: true, reason: "stop now", now: Date())
                }
            }
        })

        // Then: exactly one lead went out; the next one got stopped_kill_switch, untouched.
        #expect(report.status == .stopped)
        #expect(report.stopReason == .killSwitch)
        #expect(try fixture.jobs().count == 1)
        let decisions = try fixture.decisions(runID: report.runID)
        #expect(decisions.map(\.decision) == ["dispatched", "stopped_kill_switch"])
        #expect(try fixture.lead(decisions[1].email).status == .new)
    }

    @Test("a DNC lead is never contacted, whichever way it became DNC")
    func dncNeverContacted() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.importLeads("email,first_name,company,dnc\nada@example.org,Ada,Acme,true\nbob@example.org,Bob,Acme,\n")
        try fixture.store.write("dnc") { db in
            let bob = try LeadQueries.find(db, campaignID: stored.id, email: "bob@example.org")!
            try LeadQueries.markDNC(db, leadID: bob.id, reason: "asked by phone", now: fixture.clock.now())
        }

        let report = try fixture.tick()

        #expect(try fixture.jobs().isEmpty)
        #expect(report.decisionCounts[.skippedDNC] == 2)
        #expect(try fixture.lead("ada@example.org").status == .blocked)
        #expect(try fixture.lead("bob@example.org").blockedReason == "do not contact: asked by phone")
        // Re-importing with dnc=false never clears DNC.
        try fixture.importLeads("email,first_name,company,dnc\nbob@example.org,Bob,Acme,false\n")
        #expect(try fixture.lead("bob@example.org").dnc)
    }

    @Test("unsubscribes are enforced globally and per campaign, and only for their campaign")
    func unsubscribeEnforced() throws {
        let fixture = try Fixture()
        let first = try fixture.apply()
        try fixture.apply(CampaignFactory.yaml(slug: "other"))
        try fixture.addLeads(["global@example.org", "scoped@example.org", "fine@example.org"])
        try fixture.addLeads(["scoped@example.org"], slug: "other")
        try fixture.store.write("unsubscribe") { db in
            try ListQueries.addUnsubscribe(db, email: "global@example.org", campaignID: nil, source: "link", now: fixture.clock.now())
            try ListQueries.addUnsubscribe(db, email: "scoped@example.org", campaignID: first.id, source: "reply", now: fixture.clock.now())
        }

        let report = try fixture.tick()
        let other = try fixture.tick("other")

        #expect(report.decisionCounts[.skippedUnsubscribed] == 2)
        #expect(try fixture.jobs().map(\.leadID) == [try fixture.lead("fine@example.org").id])
        #expect(try fixture.lead("global@example.org").blockedReason == "unsubscribed from every campaign (link)")
        #expect(try fixture.lead("scoped@example.org").blockedReason == "unsubscribed from this campaign (reply)")
        // The campaign-scoped unsubscribe does not stop the other campaign.
        #expect(other.counters.dispatched == 1)
    }

    @Test("suppression blocks an email and a whole domain; an expired or removed one no longer blocks")
    func suppressionEnforced() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["one@blocked.org", "two@blocked.org", "me@sub.blocked.org", "x@example.org", "later@example.net",
                              "gone@example.net"])
        let now = fixture.clock.now()
        try fixture.store.write("suppress") { db in
            _ = try ListQueries.addSuppression(db, kind: .domain, value: "blocked.org", reason: "competitor", until: nil, now: now)
            _ = try ListQueries.addSuppression(db, kind: .email, value: "x@example.org", reason: "bounced", until: nil, now: now)
            _ = try ListQueries.addSuppression(db, kind: .email, value: "later@example.net", reason: nil,
                                               until: now.addingTimeInterval(-1), now: now.addingTimeInterval(-3600))
            _ = try ListQueries.addSuppression(db, kind: .email, value: "gone@example.net", reason: nil, until: nil, now: now)
            try ListQueries.removeSuppression(db, kind: .email, value: "gone@example.net", now: now)
        }

        let report = try fixture.tick()

        #expect(report.decisionCounts[.skippedSuppressedDomain] == 2)
        #expect(report.decisionCounts[.skippedSuppressedEmail] == 1)
        let sent = Set(try fixture.jobs().map(\.leadID))
        // Sub-domains are not covered by a domain suppression; expired and removed ones do not block.
        #expect(sent == Set(try ["me@sub.blocked.org", "later@example.net", "gone@example.net"].map { try fixture.lead($0).id }))
        #expect(try fixture.lead("x@example.org").status == .blocked)
    }

    @Test("a held lease makes a second tick fail as temporary without touching anything", .sqliteClockLeases)
    func heldLeaseIsTemporary() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        try fixture.store.write("hold") { db in
            try db.execute(sql: "UPDATE leases SET owner = 'elsewhere:1:x', expires_at = ?, fencing_token = 7 WHERE campaign_id = ?",
                           arguments: [Timestamp.format(fixture.clock.now().addingTimeInterval(120)), stored.id])
        }

        let error = #expect(throws: OutreachError.self) { try fixture.tick() }

        #expect(error?.category == .temporary)
        #expect(try fixture.scalar("SELECT count(*) FROM runs") == 0)
        #expect(try fixture.scalar("SELECT fencing_token FROM leases") == 7)
        // Once the lease expires, the next tick takes over and closes nothing it did not own.
        fixture.clock.advance(seconds: 121)
        let report = try fixture.tick()
        #expect(report.fencingToken == 8)
        #expect(report.counters.dispatched == 1)
    }

    @Test("a campaign another live process is ticking is reported busy from a read, without queueing for the write lock")
    func busyLeaseNeedsNoWriteLock() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        // Held until 2100: busy by the test's clock and by a PostgreSQL server's alike.
        try fixture.store.write("hold") { db in
            try db.execute(sql: "UPDATE leases SET owner = 'elsewhere:1:x', expires_at = '2100-01-01T00:00:00Z', fencing_token = 7 WHERE campaign_id = ?",
                           arguments: [stored.id])
        }
        // Another process is inside a write transaction (a group of some other campaign's tick).
        let other = try fixture.otherConnection()
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writer = Thread {
            try? other.write("a long group") { _ in
                inside.signal()
                release.wait()
            }
        }
        writer.start()
        inside.wait()
        defer { release.signal() }

        // Without the read, this tick would wait for that transaction and then fail on the lock.
        let error = #expect(throws: OutreachError.self) { try fixture.tick() }

        #expect(error?.category == .temporary)
        #expect(error?.message.contains("is being ticked by elsewhere:1:x") == true)
    }

    @Test("a tick whose lease was taken over stops with lease_lost and writes nothing more")
    func staleTokenCannotWrite() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads((1...4).map { "lead\($0)@example.org" })
        let other = try fixture.otherConnection()
        let stolen = LockedFlag()

        // When: after the first group commits, another process takes the lease over.
        let report = try fixture.tick(groupSize: 1, afterCommit: {
            guard !stolen.value else { return }
            stolen.value = true
            try? other.write("steal") { db in
                try db.execute(sql: "UPDATE leases SET owner = 'thief:2:bb', fencing_token = fencing_token + 1 WHERE campaign_id = ?",
                               arguments: [stored.id])
            }
        })

        // Then: one lead was dispatched before the theft, nothing after, and the run row was
        // left for the new owner to close.
        #expect(report.status == .leaseLost)
        #expect(try fixture.jobs().count == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM decisions") == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM leases WHERE owner = 'thief:2:bb'") == 1)
    }

    @Test("a lease left by a dead process of this host is taken over at once; its run is closed", .sqliteClockLeases)
    func deadOwnerLeaseIsTakenOver() throws {
        let fixture = try Fixture()
        let stored = try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        // A run that crashed (kill -9) while holding the lease.
        try fixture.store.write("crash") { db in
            try db.execute(sql: """
                INSERT INTO runs (id, campaign_id, mode, status, owner, fencing_token, started_at, per_tick_limit, daily_quota,
                    quota_day, content_hash, tool_version)
                VALUES ('crashed-1', ?, 'proof', 'running', 'dead:1:x', 1, ?, 25, 200, '2026-11-23', 'h', 'v')
                """, arguments: [stored.id, Timestamp.format(fixture.clock.now().addingTimeInterval(-10))])
            try db.execute(sql: "UPDATE leases SET owner = 'dead:1:x', run_id = 'crashed-1', expires_at = ?, fencing_token = 1",
                           arguments: [Timestamp.format(fixture.clock.now().addingTimeInterval(290))])
        }
        let request = TickRequest(slug: "q4-launch")
        var dependencies = fixture.dependencies()
        dependencies.isOwnerAlive = { $0 != "dead:1:x" }

        let report = try Tick(request: request, dependencies: dependencies).run(store: fixture.store)

        #expect(report.counters.dispatched == 1)
        let crashed = try #require(try fixture.store.read("run") { db in try RunQueries.find(db, id: "crashed-1") })
        #expect(crashed.status == .leaseLost)
        #expect(crashed.finishedAt == fixture.clock.now())
    }
}

/// A Bool shared with a `@Sendable` hook.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
