import ArgumentParser
import Foundation
import OutreachCore

/// `outreach export SLUG [--run ID | --latest] [--out DIR]`
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Regenerate a past run's proof artifacts from the database alone.",
        discussion: "leads.csv, attempts.csv and proof.sql come out byte-identical to the tick's own export.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The campaign slug.") var slug: String
    @Option(name: .customLong("run"), help: "The run id (see `outreach runs list`).") var runID: String?
    @Flag(help: "The campaign's latest run (the default).") var latest = false
    @Option(help: "Output folder; files go to OUT/<slug>/<run-id>/.") var out: String = "artifacts"

    func validate() throws {
        if runID != nil && latest { throw ValidationError("Give --run ID or --latest, not both.") }
    }

    func run() throws {
        try ExitStatus.guarding {
            let store = try global.openStore()
            let written = try store.exportRun(slug: slug, runID: runID, root: out)
            output("Exported \(written.directory)/: \(written.files.joined(separator: ", "))"
                + (written.checksPassed ? "; all proof checks pass.\n" : "; SOME PROOF CHECKS FAIL, see summary.md.\n"))
        }
    }
}

/// `outreach status [SLUG]`
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per campaign: status, approval, lease, last run, quota today, leads by status, due now, retries, unknown jobs, transport health.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "One campaign (default: all).") var slug: String?
    @OptionGroup var format: FormatOptions

    func run() throws {
        try ExitStatus.guarding {
            let store = try global.openStore()
            let clock = try global.clock()
            let statuses = try store.campaignStatuses(slug: slug, now: clock.now())
            if format.format == .json {
                output(JSONText.write(.array(statuses.map(\.json))) + "\n")
                return
            }
            var listing = Listing(columns: [
                "slug", "status", "approved", "lease_owner", "lease_expires_at", "last_run", "last_run_status", "quota_used_today",
                "quota_remaining_today", "due_now", "leads_by_status", "retries_pending", "unknown_jobs", "transport_health",
                "bounce_rate", "complaint_rate", "mailboxes",
            ])
            for status in statuses {
                listing.append([
                    .string(status.slug), .string(status.status.rawValue + (status.autoPaused ? " (auto-paused: see status_reason)" : "")
                        + (status.killSwitch ? " (kill switch on)" : "")),
                    .bool(status.approved), .optional(status.leaseHeld ? status.lease.owner : nil),
                    .timestamp(status.leaseHeld ? status.lease.expiresAt : nil), .optional(status.lastRun?.id),
                    .optional(status.lastRun.map { $0.status.rawValue + ($0.stopReason.map { " (\($0))" } ?? "") }),
                    .int(Int64(status.quotaUsedToday)), .int(Int64(status.quotaRemainingToday)), .int(Int64(status.dueNow)),
                    .string(status.leadsByStatus.filter { $0.1 > 0 }.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: " ")),
                    .int(Int64(status.retriesPending)), .int(Int64(status.unknownJobs)), .string(status.transportHealth),
                    .string("\(Guardrails.percent(status.reputation.hardBounceRate)) of \(status.reputation.sends)"),
                    .string(Guardrails.percent(status.reputation.complaintRate)),
                    .string(status.mailboxes.map { "\($0.address) \($0.sentToday)/\($0.allowanceToday)"
                        + ($0.stored.status == .paused ? " paused" : "") }.joined(separator: " ")),
                ])
            }
            Console.listing(listing, format.format)
        }
    }
}
