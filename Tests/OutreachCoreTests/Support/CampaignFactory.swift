import Foundation
import OutreachCore

/// Campaign files for tests: a valid default, with any top-level section replaced.
enum CampaignFactory {
    static let secret = "test-unsubscribe-secret"

    /// YAML for a campaign; pass replacement lines for any section (`limits`, `window`, …).
    static func yaml(
        slug: String = "q4-launch",
        timezone: String = "UTC",
        limits: String = "limits: { per_tick: 25, daily_quota: 200, cooldown: 24h }",
        window: String = "window: { days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", end: \"24:00\" }",
        retry: String = "retry: { max_attempts: 4, base: 300s, cap: 24h }",
        transport: String = "transport: { kind: proof }",
        steps: String = """
            steps:
              - { id: intro, delay: 0h, subject: "Quick question, {{first_name}}", body: "Hi {{first_name}}, how is {{company}}?" }
              - { id: followup1, delay: 72h, subject: "Re: Quick question", body: "Following up, {{first_name}}." }
              - { id: followup2, delay: 168h, subject: "Last note", body: "Last one, {{first_name}}." }
            """,
        extra: String = ""
    ) -> String {
        """
        slug: \(slug)
        name: Test campaign
        timezone: \(timezone)
        sender: { from: "Ada Lovelace <ada@example.com>", reply_to: "replies@example.com", postal_address: "1 Main St, Springfield" }
        \(limits)
        \(window)
        \(retry)
        \(transport)
        unsubscribe: { url: "https://example.com/u/{{token}}", mailto: "unsubscribe@example.com", secret_env: OUTREACH_UNSUB_SECRET }
        \(extra)
        \(steps)
        """
    }

    static func campaign(_ yaml: String = yaml()) throws -> Campaign {
        try CampaignFile.parse(yaml, file: "test.yaml")
    }
}
