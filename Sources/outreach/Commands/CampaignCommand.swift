import ArgumentParser
import Foundation
import OutreachCore

/// `outreach campaign apply|list|show|pause|resume|approve`
struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Create, inspect, pause, resume and approve campaigns.",
        subcommands: [Apply.self, List.self, Show.self, Pause.self, Resume.self, Approve.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply", abstract: "Create or update a campaign from its YAML file.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign file (YAML).") var file: String

        func run() throws {
            try ExitStatus.guarding {
                let campaign = try CampaignFile.load(path: file)
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let result = try store.applyCampaign(campaign, from: file, clock: clock)
                switch result {
                case .created(let stored):
                    output("Created campaign \(stored.slug) (\(stored.campaign.steps.count) steps, \(stored.campaign.transport.kind) transport).\n")
                case .updated(let stored, let revoked):
                    output("Updated campaign \(stored.slug).\n")
                    if revoked {
                        output("Its content changed, so the approval by \(stored.latestApproval?.approvedBy ?? "?") no longer applies; run `outreach campaign approve \(stored.slug) --by NAME` before live ticks.\n")
                    }
                case .unchanged(let stored):
                    output("Campaign \(stored.slug) is unchanged.\n")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the campaigns.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOptions

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let campaigns = try store.campaigns()
                var listing = Listing(columns: ["slug", "name", "status", "approved", "steps", "transport", "timezone", "updated_at"])
                for stored in campaigns {
                    listing.append([
                        .string(stored.slug), .string(stored.campaign.name), .string(stored.status.rawValue),
                        .bool(stored.isApproved), .int(Int64(stored.campaign.steps.count)),
                        .string(stored.campaign.transport.kind), .string(stored.campaign.timezone), .timestamp(stored.updatedAt),
                    ])
                }
                Console.listing(listing, format.format)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a campaign: settings, approval, lease and steps.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Option(name: .long, help: "Output format: text or json.") var format: String = "text"

        func validate() throws {
            guard ["text", "json", "table"].contains(format) else { throw ValidationError("--format must be text or json.") }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore()
                let (stored, lease) = try store.campaignWithLease(slug: slug)
                let description = CampaignDescription(stored: stored, lease: lease)
                output(format == "json" ? JSONText.pretty(description.json) + "\n" : description.text)
            }
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a campaign: ticks stop before their next dispatch.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Option(help: "Why (shown in status and runs).") var reason: String?

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                try store.pauseCampaign(slug: slug, reason: reason, clock: clock)
                output("Paused campaign \(slug).\n")
            }
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused campaign.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                try store.resumeCampaign(slug: slug, clock: clock)
                output("Resumed campaign \(slug).\n")
            }
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Approve the campaign's current content (sender, steps, templates, unsubscribe) for live sending.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign slug.") var slug: String
        @Option(help: "Who approves (recorded with the content hash).") var by: String

        func validate() throws {
            guard !by.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--by must name who approves.") }
        }

        func run() throws {
            try ExitStatus.guarding {
                let store = try global.openStore(writing: true)
                let clock = try global.clock()
                let stored = try store.approveCampaign(slug: slug, by: by, clock: clock)
                output("Approved campaign \(slug) (content \(stored.contentHash.prefix(12))) by \(by). Any change of sender, steps, templates or unsubscribe settings revokes it.\n")
            }
        }
    }
}

/// `campaign show` as text and JSON.
struct CampaignDescription {
    let stored: StoredCampaign
    let lease: Lease

    var json: JSONText.Value {
        let campaign = stored.campaign
        return .object([
            ("slug", .string(stored.slug)), ("name", .string(campaign.name)), ("status", .string(stored.status.rawValue)),
            ("status_reason", .optional(stored.statusReason)), ("timezone", .string(campaign.timezone)),
            ("content_hash", .string(stored.contentHash)), ("approved", .bool(stored.isApproved)),
            ("approved_by", .optional(stored.isApproved ? stored.latestApproval?.approvedBy : nil)),
            ("approved_at", .timestamp(stored.isApproved ? stored.latestApproval?.approvedAt : nil)),
            ("lease_owner", .optional(lease.owner)), ("lease_expires_at", .timestamp(lease.expiresAt)),
            ("fencing_token", .int(lease.fencingToken)),
            ("per_tick", .int(Int64(campaign.limits.perTick))), ("daily_quota", .int(Int64(campaign.limits.dailyQuota))),
            ("cooldown", .string(DurationText.format(campaign.limits.cooldownSeconds))),
            ("window", .string(windowText)), ("transport", .string(campaign.transport.kind)),
            ("steps", .array(campaign.steps.map { .object([("id", .string($0.id)), ("delay", .string(DurationText.format($0.delaySeconds))), ("subject", .optional($0.subject))]) })),
        ])
    }

    var windowText: String {
        let window = stored.campaign.window
        func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
        return "\(window.days.map(\.rawValue).joined(separator: ",")) \(clock(window.startMinute))-\(clock(window.endMinute)) "
            + (window.recipientTimezone ? "(recipient time zone)" : stored.campaign.timezone)
    }

    var text: String {
        let campaign = stored.campaign
        var lines = [
            "campaign:  \(stored.slug) — \(campaign.name)",
            "status:    \(stored.status.rawValue)\(stored.statusReason.map { " (\($0))" } ?? "")",
            "approval:  " + (stored.isApproved
                ? "approved by \(stored.latestApproval!.approvedBy) at \(Timestamp.format(stored.latestApproval!.approvedAt))"
                : stored.latestApproval == nil ? "not approved" : "not approved (content changed since the approval by \(stored.latestApproval!.approvedBy))"),
            "content:   \(stored.contentHash)",
            "lease:     " + (lease.owner.map { "held by \($0) until \(Timestamp.format(lease.expiresAt) ?? "?")" } ?? "free")
                + " (fencing token \(lease.fencingToken))",
            "limits:    \(campaign.limits.perTick) per tick, \(campaign.limits.dailyQuota) per day, cooldown \(DurationText.format(campaign.limits.cooldownSeconds))",
            "window:    \(windowText)",
            "retry:     \(campaign.retry.maxAttempts) attempts, base \(DurationText.format(campaign.retry.baseSeconds)), cap \(DurationText.format(campaign.retry.capSeconds))",
            "transport: \(campaign.transport.kind)",
            "sender:    \(campaign.sender.from.joined(separator: ", "))",
            "steps:",
        ]
        for (index, step) in campaign.steps.enumerated() {
            lines.append("  step \(index + 1) (\(step.id)) after \(DurationText.format(step.delaySeconds)): \(step.subject ?? "(reply in the thread)")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
