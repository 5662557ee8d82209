import Foundation

/// Writes a run's proof artifacts (SPEC §6) into `DIR/<slug>/<run-id>/`.
///
/// The artifacts are a pure function of the database: `leads.csv`, `attempts.csv` and
/// `proof.sql` come only from what the run recorded, so `outreach export` of a past run
/// reproduces them byte for byte; no clock is read. Every file is written under a temporary
/// name and renamed (a crash never leaves half an artifact), and nothing is written through
/// a symlink or outside `DIR` (slug and run id are validated path components).
public enum ProofArtifacts {
    /// Where the artifacts went.
    public struct Written: Sendable {
        public let directory: String
        public let files: [String]
        public let checksPassed: Bool
    }

    public static let leadsHeader = ["lead_id", "email", "step_index", "decision", "reason", "job_id", "status_after", "next_action_at"]
    public static let attemptsHeader = ["job_id", "idempotency_key", "lead_id", "email", "step_id", "step_index", "status", "attempt",
                                        "next_attempt_at", "error"]

    /// Exports run `runID` of `campaign` under `root`.
    public static func export(_ db: any SQLConnection, campaign: StoredCampaign, runID: String, root: String) throws -> Written {
        guard RunID.isWellFormed(runID), Slug.isValid(campaign.slug) else {
            throw OutreachError.badInput("'\(EmailAddress.printable(runID))' is not a run id; `outreach runs list \(campaign.slug)` shows them.")
        }
        guard let run = try RunQueries.find(db, id: runID), run.campaignID == campaign.id else {
            throw OutreachError.badInput("Campaign \(campaign.slug) has no run \(runID); `outreach runs list \(campaign.slug)` shows them.")
        }
        try SafeDirectory.ensure(root)
        let campaignDirectory = root + "/" + campaign.slug
        try SafeDirectory.ensure(campaignDirectory)
        let directory = campaignDirectory + "/" + runID
        try SafeDirectory.ensure(directory)

        // The manifest is streamed as files are written, so a million previews never sit in memory.
        let manifest = try ManifestWriter(path: directory + "/manifest.json", run: run, slug: campaign.slug)
        var written: [String] = []
        func finish(_ file: AtomicFile, _ name: String) throws {
            try file.commit()
            try manifest.add(name, size: file.byteCount, sha256: file.sha256Hex)
            written.append(name)
        }

        let leads = try AtomicFile(path: directory + "/leads.csv")
        try leads.write(CSVWriter.line(leadsHeader))
        try ArtifactQueries.forEachLeadRow(db, runID: runID) { row in
            try leads.write(CSVWriter.line([
                String(row.leadID), row.email, String(row.stepIndex), row.decision, row.reason ?? "",
                row.jobID.map(String.init) ?? "", row.statusAfter, row.nextActionAt ?? "",
            ]))
        }
        try finish(leads, "leads.csv")

        let attempts = try AtomicFile(path: directory + "/attempts.csv")
        try attempts.write(CSVWriter.line(attemptsHeader))
        try ArtifactQueries.forEachAttemptRow(db, runID: runID) { row in
            try attempts.write(CSVWriter.line([
                String(row.jobID), row.idempotencyKey, String(row.leadID), row.email, row.stepID, String(row.stepIndex),
                row.status, String(row.attempt), row.nextAttemptAt ?? "", row.error ?? "",
            ]))
        }
        try finish(attempts, "attempts.csv")

        let proof = try AtomicFile(path: directory + "/proof.sql")
        try proof.write(ProofChecks.script(campaignID: campaign.id, slug: campaign.slug, runID: runID, dialect: db.dialect))
        try finish(proof, "proof.sql")

        var messageCount = 0
        if run.mode == .proof {
            let messages = directory + "/messages"
            try SafeDirectory.ensure(messages)
            try ArtifactQueries.forEachDispatchedMessage(db, runID: runID) { jobID, message in
                let name = "job-\(jobID).eml"
                let file = try AtomicFile(path: messages + "/" + name, durable: false)
                try file.write(RFC5322.render(message))
                try file.commit()
                try manifest.add("messages/" + name, size: file.byteCount, sha256: file.sha256Hex)
                messageCount += 1
            }
            written.append("messages/")
        }

        let checks = try ProofChecks.run(db, campaignID: campaign.id, runID: runID)
        let summary = try AtomicFile(path: directory + "/summary.md")
        try summary.write(try SummaryDocument(db, campaign: campaign, run: run, checks: checks,
                                              messageCount: messageCount).markdown())
        try finish(summary, "summary.md")
        try manifest.commit()

        return Written(directory: directory, files: written + ["manifest.json"],
                       checksPassed: checks.allSatisfy { $0.violations == 0 })
    }
}

/// Streams `manifest.json`: run facts first, then one entry per file as it is written.
private final class ManifestWriter {
    private let file: AtomicFile
    private var count = 0

    init(path: String, run: Run, slug: String) throws {
        file = try AtomicFile(path: path)
        let facts: [(String, JSONText.Value)] = [
            ("run_id", .string(run.id)), ("campaign", .string(slug)), ("mode", .string(run.mode.rawValue)),
            ("dry_run", .bool(run.dryRun)), ("tool_version", .string(run.toolVersion)),
            ("schema_version", .int(Int64(SchemaMigrations.currentVersion))),
        ]
        try file.write("{\n" + facts.map { "  \(JSONText.quote($0.0)): \(JSONText.write($0.1)),\n" }.joined() + "  \"files\": [")
    }

    func add(_ name: String, size: Int, sha256: String) throws {
        let entry = JSONText.write(.object([("path", .string(name)), ("size", .int(Int64(size))), ("sha256", .string(sha256))]))
        try file.write((count == 0 ? "\n    " : ",\n    ") + entry)
        count += 1
    }

    func commit() throws {
        try file.write("\n  ]\n}\n")
        try file.commit()
    }
}
