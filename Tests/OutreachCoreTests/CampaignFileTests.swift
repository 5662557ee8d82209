import Foundation
import Testing
@testable import OutreachCore

/// Campaign files (SPEC §5): defaults, and one clear error with file, line and key.
@Suite("Campaign file")
struct CampaignFileTests {
    @Test("a complete file parses with every value and defaults fill the rest")
    func parsesFile() throws {
        let campaign = try CampaignFactory.campaign()
        #expect(campaign.slug == "q4-launch")
        #expect(campaign.steps.map(\.id) == ["intro", "followup1", "followup2"])
        #expect(campaign.steps[1].delaySeconds == 72 * 3600)
        #expect(campaign.limits == .init(perTick: 25, dailyQuota: 200, cooldownSeconds: 86_400))
        #expect(campaign.retry == .init(maxAttempts: 4, baseSeconds: 300, capSeconds: 86_400))
        #expect(campaign.circuitBreaker == .init(failureThreshold: 5, cooldownSeconds: 900))
        #expect(campaign.transport == .proof)

        let minimal = try CampaignFile.parse("""
            slug: x
            name: X
            timezone: UTC
            sender: { from: a@example.com, postal_address: "1 Main St" }
            unsubscribe: { mailto: u@example.com }
            steps: [{ id: one, subject: S, body: B }]
            """, file: "x.yaml")
        #expect(minimal.limits.perTick == 25)
        #expect(minimal.window.days == [.mon, .tue, .wed, .thu, .fri])
        #expect(minimal.window.startMinute == 9 * 60)
    }

    @Test("bad files are refused with the file, the line and the key", arguments: [
        ("slug: ../x", "test.yaml:1: slug:"),
        ("limits: { per_tick: -5, daily_quota: 200 }", "test.yaml:5: limits.per_tick: must be 0 or more"),
        ("limits: { per_tick: 5, daily_qouta: 200 }", "test.yaml:5: limits.daily_qouta: unknown key"),
        ("limits: { per_tick: 5, cooldown: 24 }", "test.yaml:5: limits.cooldown: '24' is not a duration"),
        ("limits: { per_tick: 5, cooldown: 1 day }", "limits.cooldown: '1 day' is not a duration"),
        ("window: { days: [mon, funday] }", "test.yaml:6: window.days: 'funday' is not a day"),
        ("window: { start: \"17:00\", end: \"09:00\" }", "window.end: must be later than window.start"),
        ("transport: { kind: pigeon }", "transport.kind: 'pigeon' is not a transport"),
        ("transport: { kind: http, url: \"http://x\", token_env: \"s3cr3t-value\" }", "transport.token_env: 's3cr3t-value' is not an environment variable name"),
        ("retry: { max_attempts: 0 }", "retry.max_attempts: must be 1 or more"),
        ("unsubscribe: { url: \"https://x/u/{{token}}\", secret_env: A, scope: everyone }", "unsubscribe.scope: 'everyone' must be global"),
        ("unsubscribe: { url: \"https://x/u/{{token}}\", secret_env: A, previous_secret_env: A }", "unsubscribe.previous_secret_env: names the same variable"),
        ("unsubscribe: { mailto: \"u@x.org\", previous_secret_env: A }", "unsubscribe.previous_secret_env: only means something with a url"),
    ])
    func badSection(replacement: String, expected: String) throws {
        var yaml = CampaignFactory.yaml()
        let key = replacement.split(separator: ":")[0]
        if key == "slug" {
            yaml = yaml.replacingOccurrences(of: "slug: q4-launch", with: replacement)
        } else {
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            yaml = lines.map { $0.hasPrefix("\(key):") ? replacement : $0 }.joined(separator: "\n")
        }
        let error = #expect(throws: OutreachError.self) { try CampaignFactory.campaign(yaml) }
        #expect(error?.category == .configuration)
        #expect(error?.message.contains(expected) == true, "got: \(error?.message ?? "")")
    }

    @Test("a bad time zone, a template that does not parse and a missing section are named")
    func otherErrors() throws {
        let zone = #expect(throws: OutreachError.self) { try CampaignFactory.campaign(CampaignFactory.yaml(timezone: "Mars/Olympus")) }
        #expect(zone?.message.contains("test.yaml:3: timezone: 'Mars/Olympus' is not an IANA time zone") == true)

        let template = #expect(throws: OutreachError.self) {
            try CampaignFactory.campaign(CampaignFactory.yaml(steps: "steps:\n  - { id: a, subject: \"{{#x}}open\", body: b }"))
        }
        #expect(template?.message.contains("steps[0].subject: the template does not parse") == true, "\(template?.message ?? "")")

        let empty = #expect(throws: OutreachError.self) { try CampaignFile.parse("slug: x\nname: y\n", file: "e.yaml") }
        #expect(empty?.message.hasPrefix("e.yaml") == true)

        let yaml = #expect(throws: OutreachError.self) { try CampaignFile.parse("slug: [unclosed\n", file: "bad.yaml") }
        #expect(yaml?.message.hasPrefix("bad.yaml: not valid YAML") == true)
    }

    @Test("the content hash changes with steps, sender and unsubscribe settings, not with limits")
    func contentHash() throws {
        let base = try CampaignFactory.campaign()
        var limits = base
        limits.limits.perTick = 1
        var subject = base
        subject.steps[0].subject = "Other"
        var sender = base
        sender.sender.postalAddress = "2 Main St"
        #expect(limits.contentHash == base.contentHash)
        #expect(subject.contentHash != base.contentHash)
        #expect(sender.contentHash != base.contentHash)
        #expect(try Campaign.fromStoredJSON(base.canonicalJSON()) == base)
    }

    @Test("the stored definition reads back exactly, for every transport", arguments: [
        "transport: { kind: proof }",
        "transport: { kind: sendmail, command: [/usr/sbin/sendmail, -t, -oi], timeout: 45s }",
        "transport: { kind: http, url: \"https://api.example.com/send\", token_env: MAIL_TOKEN }",
        "transport: { kind: http, url: \"http://127.0.0.1:8080/send\" }",
    ])
    func storedRoundTrip(transport: String) throws {
        var campaign = try CampaignFactory.campaign(CampaignFactory.yaml(
            transport: transport, extra: "circuit_breaker: { failures: 3, cooldown: 5m }\nevents: { auto_reply_delay: 2d }"))
        campaign.sender.replyTo = nil
        #expect(try Campaign.fromStoredJSON(campaign.canonicalJSON()) == campaign)
        #expect(throws: OutreachError.self) { try Campaign.fromStoredJSON("{\"slug\": 1}") }
    }

    @Test("a missing campaign file is an input-missing error")
    func missingFile() {
        let error = #expect(throws: OutreachError.self) { try CampaignFile.load(path: "/nonexistent/c.yaml") }
        #expect(error?.category == .inputMissing)
    }
}
