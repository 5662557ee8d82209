import ArgumentParser
import Foundation
import OutreachCore

/// `outreach jobs list|retry|cancel`
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List distribution jobs; re-dispatch or cancel one deliberately.",
        subcommands: [List.self, Retry.self, Cancel.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a campaign's jobs.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Option(help: "Only jobs with this status.") var status: String?
        @OptionGroup var format: FormatOptions

        func validate() throws {
            if let status, JobStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                var listing = Listing(columns: [
                    "job_id", "idempotency_key", "lead_id", "email", "step_id", "step_index", "status", "attempt",
                    "next_attempt_at", "error", "created_at",
                ])
                try store.forEachJob(ofCampaign: slug, status: status.flatMap(JobStatus.init(rawValue:))) { row in
                    let job = row.job
                    listing.append([
                        .int(job.id), .string(job.idempotencyKey), .int(job.leadID), .string(row.email), .string(job.stepID),
                        .int(Int64(job.stepIndex)), .string(job.status.rawValue), .int(Int64(job.attempt)),
                        .timestamp(job.nextAttemptAt), .optional(job.lastError), .timestamp(job.createdAt),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Re-dispatch a failed, dead or unknown job: the next live tick sends its stored message with the same idempotency key, after checking every rule again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The job id.") var jobID: Int64

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let job = try store.retryJob(id: jobID, clock: clock)
                output("Job \(job.id) (\(job.idempotencyKey)) is scheduled; the next live tick re-sends it as attempt \(job.attempt + 1).\n")
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Cancel a pending, unknown, failed or dead job; it is never sent and its lead leaves the sequence as failed.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The job id.") var jobID: Int64

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let job = try store.cancelJob(id: jobID, clock: clock)
                output("Cancelled job \(job.id) (\(job.idempotencyKey)).\n")
            }
        }
    }
}

/// `outreach runs list`
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List a campaign's runs.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a campaign's runs, newest first.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let runs = try store.runs(ofCampaign: slug)
                var listing = Listing(columns: [
                    "run_id", "mode", "status", "stop_reason", "owner", "fencing_token", "started_at", "finished_at",
                    "dispatched", "skipped",
                ])
                for run in runs {
                    listing.append([
                        .string(run.id), .string(run.mode.rawValue), .string(run.status.rawValue), .optional(run.stopReason),
                        .string(run.owner), .int(run.fencingToken), .timestamp(run.startedAt), .timestamp(run.finishedAt),
                        .int(Int64(run.counters.dispatched)), .int(Int64(run.counters.skipped)),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }
}
