import ArgumentParser
import Foundation
import OutreachCore

/// `outreach artifacts prune DIR [--keep-days N] [--keep N]`
struct ArtifactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "Look after the proof-artifact folders that `tick --artifacts DIR` writes.",
        subcommands: [Prune.self])

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Remove old run folders: per campaign, every run older than --keep-days that is not among the newest --keep.",
            discussion: """
                Only folders DIR/<slug>/<run-id>/ holding a manifest.json and regular files are removed; anything else is \
                left alone and listed. The age is the run's start, read from its id. The database is not touched: \
                `outreach export SLUG --run ID` writes a removed folder again.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The artifacts folder (the DIR of `tick --artifacts DIR`).") var directory: String
        @Option(help: "Keep every run younger than N days.") var keepDays = 30
        @Option(help: "Keep the newest N runs of each campaign whatever their age.") var keep = 10
        @Flag(help: "List what would be removed; remove nothing.") var dryRun = false
        @OptionGroup var format: FormatOptions

        func validate() throws {
            if !(0...36_500).contains(keepDays) { throw ValidationError("--keep-days must be between 0 and 36500.") }
            if !(0...OptionBounds.maxCount).contains(keep) { throw ValidationError("--keep must be between 0 and \(OptionBounds.maxCount).") }
        }

        func run() throws {
            try ExitStatus.guarding {
                let pruner = ArtifactPruner(keepDays: keepDays, keep: keep)
                let entries = try pruner.prune(root: directory, now: try global.clock().now(), dryRun: dryRun)
                let removed = entries.filter { $0.action == .removed }.count
                let leftAlone = entries.filter { $0.action == .leftAlone }
                if format.format == .table {
                    for entry in leftAlone { Console.warning("left \(entry.path) alone: \(entry.reason).", [("path", .string(entry.path))]) }
                    output("\(dryRun ? "Would remove" : "Removed") \(removed) of \(entries.count) run folders in \(directory)"
                           + " (kept \(entries.count - removed - leftAlone.count), left alone \(leftAlone.count)).",
                           [("directory", .string(directory)), ("removed", .int(Int64(removed))), ("runs", .int(Int64(entries.count))),
                            ("left_alone", .int(Int64(leftAlone.count))), ("dry_run", .bool(dryRun))])
                } else {
                    var listing = Listing(columns: ["campaign", "run_id", "path", "action", "reason"])
                    for entry in entries {
                        listing.append([.string(entry.campaign), .string(entry.runID), .string(entry.path),
                                        .string(dryRun && entry.action == .removed ? "would_remove" : entry.action.rawValue),
                                        .string(entry.reason)])
                    }
                    Console.listing(listing, format.format)
                }
            }
        }
    }
}
