import ArgumentParser
import Foundation
import OutreachCore

/// `outreach mailbox apply|list|show|pause|resume` (SPEC §12)
struct MailboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox",
        abstract: "Sending mailboxes shared by campaigns: daily caps, warm-up, gaps, guardrails, pauses.",
        subcommands: [Apply.self, List.self, Show.self, Pause.self, Resume.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply", abstract: "Create or update mailboxes from a YAML file (mailboxes not in the file are left as they are).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The mailbox file (YAML).") var file: String

        func run() throws {
            try ExitStatus.guarding {
                let mailboxes = try MailboxFile.load(path: file)
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let results = try store.applyMailboxes(mailboxes, from: file, clock: clock)
                for (address, result) in results {
                    output("\(result.rawValue.prefix(1).uppercased() + result.rawValue.dropFirst()) mailbox \(address).\n")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the mailboxes with today's use and their rates.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let now = try global.clock().now()
                let statuses = try store.mailboxStatuses(now: now)
                var listing = Listing(columns: [
                    "address", "status", "timezone", "daily_cap", "warmup_day", "allowance_today", "sent_today", "next_send_at",
                    "sends_in_window", "hard_bounce_rate", "complaint_rate",
                ])
                for status in statuses {
                    listing.append([
                        .string(status.address), .string(status.stored.status.rawValue), .string(status.stored.mailbox.timezone),
                        .int(Int64(status.stored.mailbox.dailyCap)), status.warmupDay.map { .int(Int64($0)) } ?? .null,
                        .int(Int64(status.allowanceToday)), .int(Int64(status.sentToday)), .timestamp(status.nextSendAt),
                        .int(Int64(status.reputation.sends)), .string(Guardrails.percent(status.reputation.hardBounceRate)),
                        .string(Guardrails.percent(status.reputation.complaintRate)),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a mailbox: cap and warm-up, today's sends, next allowed send, rates, pause.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The mailbox address.") var address: String
        @Option(name: .long, help: "Output format: text or json.") var format: String = "text"

        func validate() throws {
            guard ["text", "json", "table"].contains(format) else { throw ValidationError("--format must be text or json.") }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let now = try global.clock().now()
                let (status, campaigns, byCampaign) = try store.mailboxDetails(address: address, now: now)
                if format == "json" {
                    guard case .object(var pairs) = status.json else { return }
                    pairs.append(("campaigns", .array(campaigns.map(JSONText.Value.string))))
                    pairs.append(("sent_today_by_campaign", .object(byCampaign.map { ($0.0, .int(Int64($0.1))) })))
                    output(JSONText.pretty(.object(pairs)) + "\n")
                    return
                }
                output(Self.text(status, campaigns: campaigns, byCampaign: byCampaign))
            }
        }

        static func text(_ status: MailboxStatus, campaigns: [String], byCampaign: [(String, Int)]) -> String {
            let stored = status.stored
            let mailbox = stored.mailbox
            let guardrails = mailbox.effectiveGuardrails
            let reputation = status.reputation
            var lines: [String] = []
            lines.append("mailbox:    \(stored.address) (\(mailbox.timezone))")
            lines.append("status:     \(stored.status.rawValue)" + (stored.statusReason.map { " — \($0)" } ?? ""))
            let ramp: String = mailbox.warmup.map { ", warm-up from \($0.start) +\($0.increase)/day" } ?? ""
            lines.append("daily cap:  \(mailbox.dailyCap)" + ramp)
            let warm: String = status.warmupDay.map { " (warm-up day \($0))" } ?? ""
            let split: String = byCampaign.isEmpty ? "" : " — " + byCampaign.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            lines.append("today:      \(status.sentToday) of \(status.allowanceToday) sent" + warm + split)
            lines.append("gap:        \(DurationText.format(mailbox.minGapSeconds)) + 0–\(DurationText.format(mailbox.jitterSeconds)) jitter")
            lines.append("last send:  " + (Timestamp.format(stored.lastSendAt) ?? "never"))
            let next: String = status.nextSendAt.map { Timestamp.format($0) } ?? "none until resumed (`outreach mailbox resume \(stored.address)`)"
            lines.append("next send:  " + next)
            let bounces = "hard bounces \(reputation.hardBounces) (\(Guardrails.percent(reputation.hardBounceRate)))"
            let complaints = "complaints \(reputation.complaints) (\(Guardrails.percent(reputation.complaintRate)))"
            let since: String = stored.guardrailsSince.map { " since the resume at \(Timestamp.format($0))" } ?? ""
            lines.append("rates:      \(bounces), \(complaints) of \(reputation.sends) sends in the last \(DurationText.format(guardrails.windowSeconds))" + since)
            lines.append("guardrails: pause at \(Guardrails.percent(guardrails.hardBounceRate)) hard bounces or "
                + "\(Guardrails.percent(guardrails.complaintRate)) complaints after \(guardrails.minSends) sends")
            lines.append("campaigns:  " + (campaigns.isEmpty ? "none names it" : campaigns.joined(separator: ", ")))
            lines.append("")
            return lines.joined(separator: "\n")
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pause", abstract: "Pause a mailbox: no campaign sends from it until it is resumed.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The mailbox address.") var address: String
        @Option(help: "Why (shown in status and mailbox show).") var reason: String?

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let stored = try store.pauseMailbox(address: address, reason: reason, clock: clock)
                output("Paused mailbox \(stored.address).\n")
            }
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Resume a paused mailbox; its guardrail rates count from now on.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The mailbox address.") var address: String

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let stored = try store.resumeMailbox(address: address, clock: clock)
                output("Resumed mailbox \(stored.address).\n")
            }
        }
    }
}
