import ArgumentParser
import Foundation
import OutreachCore

/// `outreach events import FILE`
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Import delivery feedback: replies, auto-replies, bounces, complaints, unsubscribes.",
        subcommands: [Import.self, ImportMail.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import events from .jsonl or .csv (id, type, email, campaign, at, bounce); re-importing an id changes nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The events file (.jsonl or .csv).") var file: String
        @Option(help: "Import the valid events and write each invalid one, with line and reason, to this CSV.") var rejects: String?

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let report = try EventImporter(store: store, clock: try global.clock()).run(path: file, rejectsPath: rejects)
                var parts = ["\(report.events) events", "\(report.imported) new", "\(report.alreadyImported) already imported"]
                if report.unknownAddresses > 0 { parts.append("\(report.unknownAddresses) for addresses no campaign has") }
                if report.rejected > 0 { parts.append("\(report.rejected) rejected (see \(rejects ?? "?"))") }
                if report.forgotten > 0 { parts.append("\(report.forgotten) about forgotten people (skipped)") }
                let effects = [("replied", report.replied), ("held by auto-reply", report.held), ("bounced", report.bounced),
                               ("soft bounces", report.softBounces), ("unsubscribed", report.unsubscribed),
                               ("suppressed", report.suppressed)].filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
                output("Imported \(file): \(parts.joined(separator: ", "))."
                    + (effects.isEmpty ? "" : " Effects: \(effects.joined(separator: ", ")).") + "\n")
                for paused in report.autoPaused { output("Guardrails: \(paused).\n") }
            }
        }
    }
}

extension EventsCommand {
    /// `outreach events import-mail PATH... [--dry-run] [--format table|csv|json]` (SPEC §11).
    struct ImportMail: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-mail",
            abstract: "Import bounces, complaints, auto-replies and replies from a Maildir, an mbox file or .eml files.",
            discussion: """
                Each message is classified (bounce hard/soft per recipient, complaint, auto_reply, reply, other) and \
                matched to what outreach sent by its Message-IDs, else by address; the effects are those of `events import`. \
                Re-importing a message changes nothing. One line per message: file, kind, email, campaign, job_id, action.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Maildir folders (new/ and cur/), mbox files or single messages.") var paths: [String]
        @Flag(help: "Classify and report; change nothing.") var dryRun = false
        @OptionGroup var format: FormatOptions

        func validate() throws {
            if paths.isEmpty { throw ValidationError("Name at least one Maildir, mbox file or message.") }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: !dryRun)
                let report = try MailImporter(store: store, clock: try global.clock()).run(paths: paths, dryRun: dryRun)
                var listing = Listing(columns: ["file", "kind", "email", "campaign", "job_id", "action"])
                for line in report.lines {
                    listing.append([.string(line.file), .string(line.kind), .optional(line.email), .optional(line.campaign),
                                    line.jobID.map(JSONText.Value.int) ?? .null, .string(line.action)])
                }
                Console.listing(listing, format.format)
                for paused in report.events.autoPaused { Console.warning("guardrails: \(paused)") }
                if format.format == .table {
                    let counts = Dictionary(grouping: report.lines, by: \.kind).mapValues(\.count)
                    let kinds = ["bounce", "complaint", "auto_reply", "reply", "other"].map { "\(counts[$0] ?? 0) \($0)" }
                    output("\(report.messages) message(s)\(dryRun ? " checked, nothing was written" : ""): \(kinds.joined(separator: ", ")).",
                                    counts.map { ($0.key, JSONText.Value.int(Int64($0.value))) }.sorted { $0.0 < $1.0 })
                }
            }
        }
    }
}
