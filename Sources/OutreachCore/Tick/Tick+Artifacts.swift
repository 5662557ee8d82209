import Foundation

/// Where `tick --artifacts DIR [--artifacts-always]` puts each run's proof artifacts.
public struct TickArtifacts: Sendable {
    /// `DIR`: each run's files go to `DIR/<slug>/<run-id>/`.
    public let root: String
    /// Write a run's folder even when it considered no lead.
    public let always: Bool

    public init(root: String, always: Bool = false) {
        self.root = root
        self.always = always
    }

    /// A folder per run that considered a lead; a tick with nothing due writes none unless
    /// `always` (SPEC §14: 288 empty folders a day help nobody), and a run that lost its
    /// lease writes none.
    func wanted(after report: TickReport) -> Bool {
        report.status != .leaseLost && (report.counters.considered > 0 || always)
    }
}

extension Tick {
    /// Runs the tick on `store` as its request says: with real commits, or, for a dry run,
    /// inside one transaction that is rolled back at the end (the same code either way).
    /// When `artifacts` asks for them, the run's proof artifacts are exported in the same
    /// scope, so a dry run's come from its own rows before they are rolled back.
    public func run(store: Store, artifacts: TickArtifacts?) throws -> (report: TickReport, artifacts: ProofArtifacts.Written?) {
        let slug = request.slug
        var exported: ProofArtifacts.Written?
        let report = try store.withTransactions(rollback: request.dryRun, "ticking \(slug)") { scope in
            let report = try run(in: scope)
            if let artifacts, artifacts.wanted(after: report) {
                exported = try scope.read("exporting the artifacts of \(slug)") { db in
                    try ProofArtifacts.export(db, campaign: try CampaignQueries.require(db, slug: slug), runID: report.runID,
                                              root: artifacts.root)
                }
            }
            return report
        }
        return (report, exported)
    }
}
