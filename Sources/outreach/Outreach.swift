import ArgumentParser
import Foundation
import OutreachCore

/// `outreach`: campaign outreach, safely from cron.
@main
struct Outreach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outreach",
        abstract: "Run campaign outreach safely from cron: leases, compliance lists, quotas, idempotent jobs, proof artifacts.",
        version: OutreachVersion.current,
        subcommands: [
            MigrateCommand.self, CampaignCommand.self, LeadsCommand.self, UnsubscribeCommand.self, SuppressCommand.self, EventsCommand.self,
            TickCommand.self, RunCommand.self, ExportCommand.self, VerifyCommand.self, StatusCommand.self, DemoCommand.self,
            KillSwitchCommand.self, JobsCommand.self, RunsCommand.self,
        ])

    /// Runs the command; afterwards, a failed write to stdout or stderr exits 74 (SPEC §9.8).
    static func main() {
        // A closed pipe must be a failed write, not a silent death between two transactions.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
        if StandardStreams.failed {
            StandardStreams.err("outreach: writing to stdout or stderr failed (closed pipe or full disk); the work itself was done and recorded.\n")
            Foundation.exit(74)
        }
    }
}
