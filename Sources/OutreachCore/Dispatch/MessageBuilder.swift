import Foundation

/// Renders a campaign step for a lead into an `OutgoingMessage`.
///
/// Templates are parsed once per tick. The body gets the compliance footer (the sender's
/// postal address and how to unsubscribe); every header field is cleaned of control
/// characters, so a lead named "Ada\r\nBcc: x@y" stays one harmless display name.
public struct MessageBuilder: Sendable {
    private let campaign: Campaign
    private let subjects: [MessageTemplate]
    private let bodies: [MessageTemplate]
    private let unsubscribeSecret: String?
    private let senderDomain: String

    /// Parses the campaign's templates and reads the unsubscribe secret from the environment
    /// (a campaign with an unsubscribe URL cannot build messages without it).
    public init(campaign: Campaign, secrets: SecretEnvironment) throws {
        self.campaign = campaign
        subjects = try campaign.steps.map { try MessageTemplate($0.subject) }
        bodies = try campaign.steps.map { try MessageTemplate($0.body) }
        if campaign.unsubscribe.url != nil, let name = campaign.unsubscribe.secretEnv {
            unsubscribeSecret = try secrets.require(name, for: "the signed unsubscribe link of campaign \(campaign.slug)")
        } else {
            unsubscribeSecret = nil
        }
        senderDomain = MailboxText.parse(campaign.sender.from).map { EmailAddress.domain(of: $0.address) } ?? "localhost"
    }

    /// The idempotency key of a lead's step: `{campaign_id}:{lead_id}:{step_id}:{step_index}`.
    public static func idempotencyKey(campaignID: Int64, leadID: Int64, stepID: String, stepIndex: Int) -> String {
        "\(campaignID):\(leadID):\(stepID):\(stepIndex)"
    }

    /// The message for `lead`'s step `stepIndex`, or the template variable it lacks.
    public func build(lead: Lead, stepIndex: Int, idempotencyKey: String, date: Date) -> Result<OutgoingMessage, MissingVariable> {
        let unsubscribeURL = unsubscribeSecret.flatMap { secret in
            campaign.unsubscribe.url.map {
                $0.replacingOccurrences(of: "{{token}}", with: UnsubscribeToken.make(
                    secret: secret, campaignSlug: campaign.slug, email: lead.email))
            }
        }
        var values = lead.templateValues()
        if let unsubscribeURL { values["unsubscribe_url"] = unsubscribeURL }
        let subject: String
        let body: String
        switch subjects[stepIndex].render(values) {
        case .success(let text): subject = text
        case .failure(let missing): return .failure(missing)
        }
        switch bodies[stepIndex].render(values) {
        case .success(let text): body = text
        case .failure(let missing): return .failure(missing)
        }
        var targets: [String] = []
        if let unsubscribeURL { targets.append(unsubscribeURL) }
        if let mailto = campaign.unsubscribe.mailto { targets.append("mailto:\(mailto)?subject=unsubscribe") }
        let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        return .success(OutgoingMessage(
            to: lead.email,
            toName: name.isEmpty ? nil : RFC5322.clean(name),
            from: campaign.sender.from,
            replyTo: campaign.sender.replyTo,
            subject: RFC5322.clean(subject).trimmingCharacters(in: .whitespaces),
            body: body.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" + footer(unsubscribeURL: unsubscribeURL),
            messageID: "outreach." + idempotencyKey.replacingOccurrences(of: ":", with: ".") + "@" + senderDomain,
            date: date,
            unsubscribeTargets: targets,
            idempotencyKey: idempotencyKey,
            campaignSlug: campaign.slug))
    }

    private func footer(unsubscribeURL: String?) -> String {
        var lines = ["-- ", campaign.sender.postalAddress.trimmingCharacters(in: .whitespacesAndNewlines)]
        if let unsubscribeURL { lines.append("Unsubscribe: \(unsubscribeURL)") }
        if let mailto = campaign.unsubscribe.mailto {
            lines.append("To unsubscribe by email, write to \(mailto) with the subject \"unsubscribe\".")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
