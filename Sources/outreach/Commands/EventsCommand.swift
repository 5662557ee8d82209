import ArgumentParser
import Foundation
import OutreachCore

/// `outreach events import FILE`
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Import delivery feedback: replies, auto-replies, bounces, complaints, unsubscribes.",
        subcommands: [Import.self])

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
            }
        }
    }
}
