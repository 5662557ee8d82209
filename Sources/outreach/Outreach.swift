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
            KillSwitchCommand.self, JobsCommand.self, RunsCommand.self, ArtifactsCommand.self, ServeCommand.self, MailboxCommand.self, DbCommand.self,
        ])

    /// Runs the command; afterwards, a failed write to stdout or stderr exits 74 (SPEC §9.8).
    static func main() {
        // A closed pipe must be a failed write, not a silent death between two transactions.
        signal(SIGPIPE, SIG_IGN)
        let commands = configuration.subcommands.map { $0.configuration.commandName ?? "" }
        let invocation = Invocation(Array(CommandLine.arguments.dropFirst()), commands: commands,
                                    environment: ProcessInfo.processInfo.environment)
        Console.format = invocation.logFormat
        Console.clock = invocation.clock
        if let unknown = invocation.unknownCommand {
            let hint = unknown.suggestion.map { " Did you mean `outreach \($0)`?" } ?? " Run `outreach --help` for the list."
            Console.error("'\(unknown.typed)' is not an outreach command.\(hint)", exitCode: 64)
            Foundation.exit(64)
        }
        do {
            var command = try parseAsRoot(invocation.arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error).rawValue
            // Help and --version are not errors; usage errors follow the log format like every other.
            if code == 0 || invocation.logFormat == .text { exit(withError: error) }
            Console.error(message(for: error), exitCode: code)
            Foundation.exit(code)
        }
        if StandardStreams.failed {
            Console.error("writing to stdout or stderr failed (closed pipe or full disk); the work itself was done and recorded.", exitCode: 74)
            Foundation.exit(74)
        }
    }
}
