import ArgumentParser
import Foundation
import OutreachCore

/// `outreach unsubscribe add|list|import`
struct UnsubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unsubscribe",
        abstract: "Record and list unsubscribes (global, or for one campaign).",
        subcommands: [Add.self, List.self, Import.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Unsubscribe an address from every campaign, or from one.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The email address.") var email: String
        @Option(help: "Only this campaign (default: every campaign).") var campaign: String?
        @Option(help: "Where the request came from (kept for the audit trail).") var source: String?

        func run() throws {
            try ExitStatus.guarding {
                let normalized = EmailAddress.normalize(email)
                if let problem = EmailAddress.problem(normalized) { throw OutreachError.badInput("Cannot unsubscribe: \(problem).") }
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let added = try store.recordUnsubscribe(email: normalized, campaign: campaign, source: source, clock: clock)
                let scope = campaign.map { "campaign \($0)" } ?? "every campaign"
                output(added ? "Unsubscribed \(normalized) from \(scope).\n" : "\(normalized) was already unsubscribed from \(scope).\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List unsubscribes, newest first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let rows = try store.unsubscribes()
                var listing = Listing(columns: ["email", "campaign", "source", "created_at"])
                for row in rows {
                    listing.append([.string(row.email), .optional(row.campaignSlug), .optional(row.source), .timestamp(row.createdAt)])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    /// `unsubscribe import FILE.csv`
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import unsubscribes from CSV (email, campaign, source); all-or-nothing unless --rejects.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Import the valid rows and write each invalid one, with line and reason, to this CSV.") var rejects: String?

        func run() throws {
            try ExitStatus.guarding {
                let report = try ListImporter(store: try global.openStore(writing: true), clock: try global.clock())
                    .importUnsubscribes(path: file, rejectsPath: rejects)
                output("Imported \(file): \(report.rows) rows, \(report.added) new unsubscribes, \(report.unchanged) already recorded"
                    + (report.rejected > 0 ? ", \(report.rejected) rejected" : "") + ".\n")
            }
        }
    }
}

/// `outreach suppress add|remove|list|import`
struct SuppressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppress",
        abstract: "Suppress addresses or whole domains (exact domain match; sub-domains are not covered).",
        subcommands: [Add.self, Remove.self, List.self, Import.self])

    /// `--email E | --domain D`, validated and normalized.
    struct Target: ParsableArguments {
        @Option(help: "One address.") var email: String?
        @Option(help: "Every address at this domain (exactly; sub-domains need their own entry).") var domain: String?

        func validate() throws {
            guard (email == nil) != (domain == nil) else { throw ValidationError("Give exactly one of --email or --domain.") }
        }

        func resolved() throws -> (Suppression.Kind, String) {
            if let email {
                let normalized = EmailAddress.normalize(email)
                if let problem = EmailAddress.problem(normalized) { throw OutreachError.badInput("--email: \(problem).") }
                return (.email, normalized)
            }
            let normalized = EmailAddress.normalize(domain ?? "")
            if let problem = EmailAddress.domainProblem(normalized) { throw OutreachError.badInput("--domain: \(problem).") }
            return (.domain, normalized)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a suppression, optionally until a date.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Option(help: "Why (kept for the audit trail).") var reason: String?
        @Option(help: "Suppress until this date or time (ISO 8601); it stops blocking then.") var until: String?

        func run() throws {
            try ExitStatus.guarding {
                let (kind, value) = try target.resolved()
                let untilDate = try until.map { text in
                    guard let date = Timestamp.parse(text) else {
                        throw OutreachError.usage("--until '\(text)' is not a date; write it like 2026-12-31 or 2026-12-31T00:00:00Z.")
                    }
                    return date
                }
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let change = try store.suppress(kind, value, reason: reason, until: untilDate, clock: clock)
                let suffix = untilDate.map { " until \(Timestamp.format($0))" } ?? ""
                switch change {
                case .added: output("Suppressed \(kind.rawValue) \(value)\(suffix).\n")
                case .replaced: output("Replaced the suppression of \(kind.rawValue) \(value)\(suffix) (the previous one is kept in history).\n")
                case .unchanged: output("\(kind.rawValue.capitalized) \(value) already is suppressed like that.\n")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "End a suppression (its history is kept).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            try ExitStatus.guarding {
                let (kind, value) = try target.resolved()
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let removed = try store.removeSuppression(kind, value, clock: clock)
                guard removed else {
                    throw OutreachError.badInput("\(kind.rawValue.capitalized) \(value) is not suppressed; `outreach suppress list` shows the suppressions.")
                }
                output("Removed the suppression of \(kind.rawValue) \(value).\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List suppressions, newest first.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Include removed suppressions.") var all = false
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let clock = try global.clock()
                let now = clock.now()
                let rows = try store.suppressions(includeRemoved: all)
                var listing = Listing(columns: ["kind", "value", "reason", "until", "active", "created_at", "removed_at"])
                for row in rows {
                    listing.append([
                        .string(row.kind.rawValue), .string(row.value), .optional(row.reason), .timestamp(row.until),
                        .bool(row.isActive(at: now)), .timestamp(row.createdAt), .timestamp(row.removedAt),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    /// `suppress import FILE.csv`
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import suppressions from CSV (email or domain, reason, until); all-or-nothing unless --rejects.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Import the valid rows and write each invalid one, with line and reason, to this CSV.") var rejects: String?

        func run() throws {
            try ExitStatus.guarding {
                let report = try ListImporter(store: try global.openStore(writing: true), clock: try global.clock())
                    .importSuppressions(path: file, rejectsPath: rejects)
                output("Imported \(file): \(report.rows) rows, \(report.added) new suppressions, \(report.unchanged) unchanged"
                    + (report.rejected > 0 ? ", \(report.rejected) rejected" : "") + ".\n")
            }
        }
    }
}

/// `outreach kill-switch on|off|status`
struct KillSwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill-switch",
        abstract: "Stop all dispatch everywhere (running ticks stop before their next dispatch), or allow it again.")

    enum Action: String, ExpressibleByArgument, CaseIterable { case on, off, status }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "on, off or status.") var action: Action
    @Option(help: "Why (shown in status).") var reason: String?
    @OptionGroup var format: FormatOptions

    func run() throws {
        try ExitStatus.guarding {
            let store = try global.openStore(writing: action != .status)
            let clock = try global.clock()
            switch action {
            case .on, .off:
                try store.setKillSwitch(on: action == .on, reason: reason, clock: clock)
                output(action == .on ? "Kill switch ON: no campaign dispatches anything until `outreach kill-switch off`.\n"
                                     : "Kill switch off: dispatch is allowed again.\n")
            case .status:
                let state = try store.killSwitch()
                Console.record("Kill switch \(state.enabled ? "ON" : "off")"
                    + (state.changedAt.map { " since \(Timestamp.format($0))" } ?? "")
                    + (state.reason.map { " (\($0))" } ?? "") + ".",
                    [("enabled", .bool(state.enabled)), ("changed_at", .timestamp(state.changedAt)), ("reason", .optional(state.reason))],
                    format.format)
            }
        }
    }
}
