import ArgumentParser
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
            TickCommand.self, RunCommand.self, ExportCommand.self, StatusCommand.self, DemoCommand.self, KillSwitchCommand.self, JobsCommand.self, RunsCommand.self,
        ])
}
