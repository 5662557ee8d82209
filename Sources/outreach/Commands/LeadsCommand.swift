import ArgumentParser
import Foundation
import OutreachCore

/// `outreach leads import|list|show|dnc`
struct LeadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leads",
        abstract: "Import, list, inspect and mark leads do-not-contact.",
        subcommands: [Import.self, List.self, Show.self, DNC.self, Forget.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a lead CSV (header required; email, first_name, last_name, company, timezone, dnc; other columns become template attributes).",
            discussion: "All-or-nothing: any invalid row fails the import (exit 65) and nothing is written, unless --rejects is given.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Check the file and report what would change, writing nothing.") var dryRun = false
        @Option(help: "Import the valid rows and write each invalid one, with line and reason, to this CSV.")
        var rejects: String?

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: !dryRun)
                let report = try LeadImporter(store: store, clock: try global.clock())
                    .run(slug: slug, path: file, options: .init(dryRun: dryRun, rejectsPath: rejects))
                var line = "\(dryRun ? "Checked" : "Imported") \(file) into \(slug): \(report.rows) rows, \(report.inserted) new, \(report.updated) updated, \(report.unchanged) unchanged"
                if report.repeated > 0 { line += ", \(report.repeated) repeated" }
                if report.forgotten > 0 { line += ", \(report.forgotten) skipped (forgotten people, never imported again)" }
                if report.rejected > 0 { line += ", \(report.rejected) rejected" + (dryRun ? "" : " (see \(rejects ?? "?"))") }
                output(line + (dryRun ? "; nothing was written" : "") + ".\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a campaign's leads.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Option(help: "Only leads with this status (new, active, completed, replied, bounced, blocked, failed).")
        var status: String?
        @OptionGroup var format: FormatOptions

        func validate() throws {
            if let status, LeadStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(LeadStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                var listing = Listing(columns: [
                    "lead_id", "email", "status", "step_index", "next_action_at", "last_contacted_at", "blocked_reason",
                    "first_name", "last_name", "company", "timezone", "dnc",
                ])
                try store.forEachLead(ofCampaign: slug, status: status.flatMap(LeadStatus.init(rawValue:))) { lead in
                    listing.append([
                        .int(lead.id), .string(lead.email), .string(lead.status.rawValue), .int(Int64(lead.stepIndex)),
                        .timestamp(lead.nextActionAt), .timestamp(lead.lastContactedAt), .optional(lead.blockedReason),
                        .optional(lead.firstName), .optional(lead.lastName), .optional(lead.company), .optional(lead.timezone),
                        .bool(lead.dnc),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a lead: its state, jobs, decisions, and why it is or is not eligible now.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Argument(help: "The lead's email address.") var email: String
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let clock = try global.clock()
                let inspection = try store.inspectLead(slug: slug, email: email, now: clock.now(), secrets: global.secrets)
                let lead = inspection.lead
                var lines = [
                    "lead:        \(lead.id) \(lead.email)",
                    "name:        \([lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " "))\(lead.company.map { " (\($0))" } ?? "")",
                    "status:      \(lead.status.rawValue)\(lead.blockedReason.map { " — \($0)" } ?? "")",
                    "steps sent:  \(lead.stepIndex)",
                    "progress:    \(inspection.progress)",
                    "next action: \(Timestamp.format(lead.nextActionAt) ?? "-")",
                    "last contact: \(Timestamp.format(lead.lastContactedAt) ?? "-")",
                    "timezone:    \(lead.timezone ?? "-")",
                    "dnc:         \(lead.dnc ? "yes since \(Timestamp.format(lead.dncAt) ?? "?")\(lead.dncReason.map { " (\($0))" } ?? "")" : "no")",
                    "eligibility: \(inspection.eligibility)",
                    "jobs:",
                ]
                if inspection.jobs.isEmpty { lines.append("  (none)") }
                for job in inspection.jobs {
                    lines.append("  \(job.id) step \(job.stepIndex + 1) (\(job.stepID)): \(job.status.rawValue), attempt \(job.attempt)"
                        + (job.nextAttemptAt.map { ", next at \(Timestamp.format($0))" } ?? "") + (job.lastError.map { ", \($0)" } ?? ""))
                }
                lines.append("decisions:")
                if inspection.decisions.isEmpty { lines.append("  (none)") }
                for decision in inspection.decisions {
                    lines.append("  \(Timestamp.format(decision.decidedAt)) run \(decision.runID): \(decision.kind)"
                        + (decision.reason.map { " — \($0)" } ?? "") + (decision.jobID.map { " (job \($0))" } ?? ""))
                }
                Console.record(lines.map { StderrLogHandler.escape($0) }.joined(separator: "\n"), inspection.fields, format.format)
            }
        }
    }

    struct DNC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dnc", abstract: "Mark a lead do-not-contact; it is never contacted again (the flag is permanent).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Argument(help: "The lead's email address.") var email: String
        @Option(help: "Why (kept with the lead).") var reason: String?

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let normalized = EmailAddress.normalize(email)
                let changed = try store.markDoNotContact(slug: slug, email: normalized, reason: reason, clock: clock)
                output(changed ? "Marked \(normalized) do-not-contact in \(slug).\n" : "\(normalized) already was do-not-contact in \(slug).\n")
            }
        }
    }

    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget",
            abstract: "Erase a person in every campaign (GDPR Art. 17); only a one-way hash stays, so they are never contacted again.",
            discussion: """
                Their leads keep their rows (blanked, marked do-not-contact) so that runs, jobs and the proof checks still add \
                up; their attributes, stored messages, feedback events, unsubscribes and suppressions are removed, and waiting \
                retries are cancelled. A later import, event, unsubscribe or suppression naming them is skipped. Proof \
                artifacts already exported to a folder are files outside the database: remove them yourself.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The person's email address.") var email: String

        func run() throws {
            try ExitStatus.guarding {
                if let problem = EmailAddress.problem(EmailAddress.normalize(email)) {
                    throw OutreachError.badInput("'\(EmailAddress.printable(email))' is not an email address: \(problem).")
                }
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let report = try store.forgetPerson(email: email, clock: clock)
                // The address itself is not repeated: this line ends up in cron logs.
                let what = "\(report.leads) lead(s) in \(report.campaigns) campaign(s) blanked, \(report.messages) stored message(s), "
                    + "\(report.events) event(s), \(report.unsubscribes) unsubscribe(s) and \(report.suppressions) suppression(s) removed, "
                    + "\(report.cancelledJobs) waiting retr\(report.cancelledJobs == 1 ? "y" : "ies") cancelled"
                output((report.alreadyForgotten ? "Already forgotten before; " : "Forgot the person: ") + what
                       + ". Only the hash \(report.emailSHA256.prefix(12))… stays, so they are never contacted again."
                       + " Proof artifacts exported earlier still hold the address; delete those folders.",
                       [("leads", .int(Int64(report.leads))), ("campaigns", .int(Int64(report.campaigns))),
                        ("messages", .int(Int64(report.messages))), ("events", .int(Int64(report.events))),
                        ("unsubscribes", .int(Int64(report.unsubscribes))), ("suppressions", .int(Int64(report.suppressions))),
                        ("cancelled_jobs", .int(Int64(report.cancelledJobs))), ("already_forgotten", .bool(report.alreadyForgotten)),
                        ("email_sha256", .string(report.emailSHA256))])
            }
        }
    }
}
