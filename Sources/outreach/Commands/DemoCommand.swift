import ArgumentParser
import Foundation
import Logging
import OutreachCore

/// `outreach demo [--dir DIR] [--leads N]`: a fresh database with a sample campaign and
/// synthetic leads (DNC, unsubscribed, suppressed, spread over time zones), one proof tick,
/// and its artifacts, so a newcomer sees the whole product in one command.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a demo database with a sample campaign and synthetic leads, run one proof tick and export its artifacts.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Folder for the demo database, files and artifacts.") var dir: String = "demo"
    @Option(help: "How many synthetic leads.") var leads: Int = 200

    func validate() throws {
        guard (1...1_000_000).contains(leads) else { throw ValidationError("--leads must be between 1 and 1000000.") }
        if global.db != nil {
            throw ValidationError("demo builds its own database in DIR/outreach.sqlite and takes no --db; choose the folder with --dir.")
        }
    }

    func run() throws {
        try ExitStatus.guarding {
            // Never overwrite anything (SPEC §14): a folder that exists and holds anything is refused.
            if FileManager.default.fileExists(atPath: dir) {
                let contents = try? FileManager.default.contentsOfDirectory(atPath: dir)
                guard let contents, contents.isEmpty, SafeDirectory.isReal(dir) else {
                    throw OutreachError.cannotCreateOutput(
                        "\(dir) already exists and is not an empty folder; demo never overwrites anything. Give a new folder with --dir (for example --dir demo-2).")
                }
            }
            try SafeDirectory.ensure(dir)
            let database = dir + "/outreach.sqlite"
            let clock = try global.clock()
            var secrets = global.secrets
            var note = ""
            var secretPrefix = ""
            if secrets.value("OUTREACH_UNSUB_SECRET") == nil {
                secrets = SecretEnvironment(["OUTREACH_UNSUB_SECRET": "demo-only-secret"])
                secretPrefix = "OUTREACH_UNSUB_SECRET=demo-only-secret "
                note = "(OUTREACH_UNSUB_SECRET was not set, so the demo signed its unsubscribe links with a throw-away secret; ticks of the demo campaign need it set, as shown.)\n"
            }

            let campaignPath = dir + "/campaign.yaml"
            try AtomicFile.write(DemoData.campaignYAML, to: campaignPath)
            let sample = DemoData.leads(count: leads)
            let leadsPath = dir + "/leads.csv"
            try AtomicFile.write(sample.csv, to: leadsPath)

            let store = try Store.connect(path: database)
            try store.migrate()
            let campaign = try CampaignFile.load(path: campaignPath)
            try store.createDemoCampaign(campaign, clock: clock)
            _ = try LeadImporter(store: store, clock: clock).run(slug: campaign.slug, path: leadsPath)
            try store.addDemoOptOuts(slug: campaign.slug, unsubscribedGlobally: sample.unsubscribedGlobally,
                                     unsubscribedFromCampaign: sample.unsubscribedFromCampaign,
                                     suppressedEmails: sample.suppressedEmails, suppressedDomain: DemoData.suppressedDomain,
                                     clock: clock)

            let logger = Logger(label: "outreach") { _ in SwiftLogNoOpLogHandler() }
            let dependencies = TickDependencies(clock: clock, secrets: secrets, owner: LeaseOwner.make(), logger: logger)
            let me = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "outreach" } ?? "outreach"
            let report = try Tick(request: TickRequest(slug: campaign.slug), dependencies: dependencies).run(store: store)
            let artifactsRoot = dir + "/artifacts"
            let written = try store.exportDemoArtifacts(slug: campaign.slug, runID: report.runID, root: artifactsRoot)

            output("""
                Demo ready in \(dir)/ — a fresh database, a sample campaign and \(leads) synthetic leads:
                  \(sample.dncCount) do-not-contact, \(sample.unsubscribedGlobally.count + sample.unsubscribedFromCampaign.count) unsubscribed, \(sample.suppressedEmails.count) suppressed by email, \(sample.suppressedDomainCount) at the suppressed domain \(DemoData.suppressedDomain),
                  \(sample.missingNameCount) without a first name (their template cannot render), the rest spread over \(DemoData.zones.count) time zones.

                One proof tick ran (nothing was sent):
                  \(report.summaryLine)

                Its proof artifacts are in \(written.directory)/
                  1. summary.md   start here: who was contacted, who was not and why, and whether every proof check passed
                  2. leads.csv    every lead the tick considered, with its decision and reason
                  3. messages/    the rendered emails (.eml); open one in any mail client
                  4. proof.sql    re-check the rules yourself: sqlite3 \(database) < \(written.directory)/proof.sql

                Next:
                  \(me) status --db \(database)
                  \(me) leads show \(campaign.slug) \(sample.firstDispatchable) --db \(database)
                  \(secretPrefix)\(me) tick \(campaign.slug) --db \(database) --dry-run
                \(note)
                """)
        }
    }
}

/// The demo's sample campaign and synthetic leads (deterministic: the same every time).
enum DemoData {
    static let suppressedDomain = "rival.example"
    static let zones = ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Paris", "Asia/Tokyo",
                        "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata"]

    static let campaignYAML = """
        # A sample campaign: three steps, sent 07:00-21:00 in each recipient's own time zone.
        slug: demo-launch
        name: Demo product launch
        timezone: Europe/London
        sender: { from: "Ada Lovelace <ada@outreach.example>", reply_to: "ada@outreach.example", postal_address: "Outreach Ltd, 1 Example Street, London" }
        limits: { per_tick: 100, daily_quota: 150, cooldown: 24h }
        window: { days: [mon, tue, wed, thu, fri, sat, sun], start: "07:00", end: "21:00", recipient_timezone: true }
        retry: { max_attempts: 4, base: 300s, cap: 24h }
        transport: { kind: proof }
        unsubscribe: { url: "https://outreach.example/u/{{token}}", mailto: "unsubscribe@outreach.example", secret_env: OUTREACH_UNSUB_SECRET }
        steps:
          - id: intro
            delay: 0h
            subject: "Quick question, {{first_name}}"
            body: |
              Hi {{first_name}},

              I noticed {{company}} is growing its {{team}} team. Would a 15-minute call next week be useful?

              Ada
          - { id: followup1, delay: 72h, subject: "Re: Quick question, {{first_name}}", body: "Hi {{first_name}}, just bringing this back to the top of your inbox.\\n\\nAda" }
          - { id: followup2, delay: 168h, subject: "Closing the loop", body: "Hi {{first_name}}, I will not write again about this. All the best to {{company}}.\\n\\nAda" }

        """

    /// Synthetic leads and which of them the demo lists treat specially.
    struct Sample {
        var csv = "email,first_name,last_name,company,timezone,dnc,team\n"
        var dncCount = 0
        var unsubscribedGlobally: [String] = []
        var unsubscribedFromCampaign: [String] = []
        var suppressedEmails: [String] = []
        var suppressedDomainCount = 0
        var missingNameCount = 0
        var firstDispatchable = ""
    }

    static func leads(count: Int) -> Sample {
        let first = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Katherine", "Linus", "Margaret",
                     "Niklaus", "Radia", "Tim", "Sophie", "John", "Hedy", "Ken", "Dorothy", "Claude", "Annie"]
        let last = ["Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Johnson", "Torvalds", "Hamilton",
                    "Wirth", "Perlman", "Berners-Lee", "Wilson", "Backus", "Lamarr", "Thompson", "Vaughan", "Shannon", "Easley"]
        let companies = [("Acme", "acme.example"), ("Globex", "globex.example"), ("Initech", "initech.example"),
                         ("Umbrella", "umbrella.example"), ("Hooli", "hooli.example"), ("Stark", "stark.example")]
        let teams = ["data", "platform", "security", "design", "sales"]
        var sample = Sample()
        for index in 1...count {
            let given = first[index % first.count]
            let family = last[(index / first.count + index) % last.count]
            var (company, domain) = companies[index % companies.count]
            if index % 17 == 0 {
                (company, domain) = ("Rival", suppressedDomain)
                sample.suppressedDomainCount += 1
            }
            let email = "\(given.lowercased()).\(family.lowercased().replacingOccurrences(of: "-", with: ""))\(index)@\(domain)"
            let zone = index % 9 == 0 ? "" : zones[index % zones.count]
            let dnc = index % 20 == 0
            let name = index % 37 == 0 ? "" : given
            if dnc { sample.dncCount += 1 }
            if name.isEmpty { sample.missingNameCount += 1 }
            if index % 15 == 0 { sample.unsubscribedGlobally.append(email) }
            if index % 23 == 0 { sample.unsubscribedFromCampaign.append(email) }
            if index % 31 == 0 { sample.suppressedEmails.append(email) }
            if sample.firstDispatchable.isEmpty, !dnc, !name.isEmpty, index % 15 != 0, index % 23 != 0, index % 31 != 0,
               index % 17 != 0 {
                sample.firstDispatchable = email
            }
            sample.csv += CSVWriter.line([email, name, family, company, zone, dnc ? "true" : "", teams[index % teams.count]])
        }
        return sample
    }
}
