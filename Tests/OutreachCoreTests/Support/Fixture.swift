import Foundation
import Testing
import GRDB
import Logging
@testable import OutreachCore
import OutreachTestSupport

/// A fresh database with the real migrations, a manual clock, and helpers to add a campaign,
/// leads and list entries and to run ticks. One per test.
final class Fixture: @unchecked Sendable {
    let store: Store
    let clock: ManualClock
    let directory: URL
    let path: String

    /// A temporary database file, or a fresh PostgreSQL database in the PostgreSQL pass (so a
    /// second connection can act as another process). `path` is its `--db` location.
    init(now: String = "2026-11-23T15:00:00Z") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = try TestDatabase.fresh(in: directory)
        let store = try Store.connect(path: path)
        try store.migrate()
        self.store = store
        clock = ManualClock(now)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Another connection to the same file: "an operator in another process".
    func otherConnection() throws -> Store {
        try Store.open(path: path)
    }

    @discardableResult
    func apply(_ yaml: String = CampaignFactory.yaml()) throws -> StoredCampaign {
        let campaign = try CampaignFactory.campaign(yaml)
        let result = try store.write("apply") { db in try CampaignQueries.apply(db, campaign, now: clock.now()) }
        switch result {
        case .created(let stored), .updated(let stored, _), .unchanged(let stored): return stored
        }
    }

    /// Imports leads from CSV text into a campaign.
    @discardableResult
    func importLeads(_ csv: String, slug: String = "q4-launch", rejects: String? = nil) throws -> LeadImporter.Report {
        let file = directory.appendingPathComponent("leads-\(UUID().uuidString).csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return try LeadImporter(store: store, clock: clock).run(slug: slug, path: file.path, options: .init(rejectsPath: rejects))
    }

    /// Adds simple leads `name@domain` with a first name and company.
    func addLeads(_ emails: [String], slug: String = "q4-launch", extraColumns: String = "", extraValues: [String] = []) throws {
        var csv = "email,first_name,company\(extraColumns.isEmpty ? "" : "," + extraColumns)\n"
        for (index, email) in emails.enumerated() {
            let name = email.split(separator: "@").first.map(String.init) ?? "x"
            csv += "\(email),\(name.capitalized),Acme" + (extraValues.isEmpty ? "" : "," + extraValues[index % extraValues.count]) + "\n"
        }
        try importLeads(csv, slug: slug)
    }

    func dependencies(owner: String = "test-host:1:aa", transport: (any Transport)? = nil, stopFlag: StopFlag? = nil,
                      afterCommit: (@Sendable () -> Void)? = nil) -> TickDependencies {
        TickDependencies(
            clock: clock, secrets: SecretEnvironment(["OUTREACH_UNSUB_SECRET": CampaignFactory.secret]), owner: owner,
            isOwnerAlive: { _ in true },
            makeTransport: { _ in transport ?? ProofTransport() },
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, stopFlag: stopFlag, afterCommit: afterCommit)
    }

    @discardableResult
    func tick(_ slug: String = "q4-launch", mode: DispatchMode = .proof, limit: Int? = nil, groupSize: Int = 500,
              owner: String = "test-host:1:aa", transport: (any Transport)? = nil, stopFlag: StopFlag? = nil,
              afterCommit: (@Sendable () -> Void)? = nil, dryRun: Bool = false) throws -> TickReport {
        let request = TickRequest(slug: slug, mode: mode, dryRun: dryRun, limit: limit, groupSize: groupSize)
        let tick = Tick(request: request, dependencies: dependencies(owner: owner, transport: transport, stopFlag: stopFlag,
                                                                      afterCommit: afterCommit))
        if dryRun { return try store.withRollback("dry run") { scope in try tick.run(in: scope) } }
        return try tick.run(store: store)
    }

    // MARK: - Reading back

    func lead(_ email: String, slug: String = "q4-launch") throws -> Lead {
        try store.read("lead") { db in
            let campaign = try CampaignQueries.require(db, slug: slug)
            return try LeadQueries.find(db, campaignID: campaign.id, email: email)!
        }
    }

    func jobs(slug: String = "q4-launch") throws -> [Job] {
        try store.read("jobs") { db in
            var jobs: [Job] = []
            try JobQueries.forEach(db, campaignID: try CampaignQueries.require(db, slug: slug).id, status: nil) { jobs.append($0.job) }
            return jobs
        }
    }

    /// Decisions of a run as (email, decision) pairs, in processing order.
    func decisions(runID: String) throws -> [(email: String, decision: String)] {
        try store.read("decisions") { db in
            try SQLRecord.fetchAll(db, sql: """
                SELECT l.email, d.decision FROM decisions d JOIN leads l ON l.id = d.lead_id WHERE d.run_id = ? ORDER BY d.id
                """, arguments: [runID]).map { ($0[0], $0[1]) }
        }
    }

    func scalar(_ sql: String, _ arguments: [(any SQLBindable)?] = []) throws -> Int {
        try store.read("scalar") { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    func execute(_ sql: String, _ arguments: [(any SQLBindable)?] = []) throws {
        try store.write("execute") { db in try db.execute(sql: sql, arguments: arguments) }
    }

    /// The database's installation id.
    func installationID() throws -> String {
        try store.read("installation id") { db in try SafetyQueries.installationID(db) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Tests whose leases expire by the test's manual clock: on PostgreSQL the database
    /// server's clock judges leases (SPEC §13), which `PostgresLeaseTests` and the multi-host
    /// CLI tests cover instead.
    static var sqliteClockLeases: Self {
        .enabled(if: !TestDatabase.isPostgres, "SKIPPED on PostgreSQL: lease expiry follows the server's clock there, not the test's")
    }
}
