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
    private let unsubscribeSigner: UnsubscribeToken.Signer?
    /// The unsubscribe URL split around `{{token}}`.
    private let unsubscribeURLParts: (before: String, after: String)?
    private let senderDomain: String
    private let installationID: String

    /// Parses the campaign's templates and reads the unsubscribe secret from the environment
    /// (a campaign with an unsubscribe URL cannot build messages without it).
    /// `installationID` is the database's random id (SPEC §9.4).
    public init(campaign: Campaign, secrets: SecretEnvironment, installationID: String) throws {
        self.campaign = campaign
        self.installationID = installationID
        unsubscribeSigner = try Self.unsubscribeSecret(of: campaign, in: secrets).map(UnsubscribeToken.Signer.init(secret:))
        subjects = try campaign.steps.map { try MessageTemplate($0.subject) }
        bodies = try campaign.steps.map { try MessageTemplate($0.body) }
        senderDomain = MailboxText.parse(campaign.sender.from).map { EmailAddress.domain(of: $0.address) } ?? "localhost"
        unsubscribeURLParts = campaign.unsubscribe.url.flatMap { url in
            url.range(of: "{{token}}").map { (String(url[..<$0.lowerBound]), String(url[$0.upperBound...])) }
        }
        footerText = Self.footer(campaign: campaign)
    }

    /// The unsubscribe secret the campaign needs, or nil when it has no unsubscribe URL;
    /// a configuration error names the missing variable.
    public static func unsubscribeSecret(of campaign: Campaign, in secrets: SecretEnvironment) throws -> String? {
        guard campaign.unsubscribe.url != nil, let name = campaign.unsubscribe.secretEnv else { return nil }
        return try secrets.require(name, for: "the signed unsubscribe link of campaign \(campaign.slug)")
    }

    /// The idempotency key of a lead's step: `{campaign_id}:{lead_id}:{step_id}:{step_index}`.
    public static func idempotencyKey(campaignID: Int64, leadID: Int64, stepID: String, stepIndex: Int) -> String {
        "\(campaignID):\(leadID):\(stepID):\(stepIndex)"
    }

    /// The key as it leaves the machine (`X-Outreach-Key`, `Idempotency-Key`): the database's
    /// key prefixed by the installation id, so two databases never emit the same one.
    public static func externalKey(installationID: String, key: String) -> String {
        "\(installationID):\(key)"
    }

    /// The message for `lead`'s step `stepIndex`, or the template variable it lacks.
    /// `idempotencyKey` is the job's key in the database.
    public func build(lead: Lead, stepIndex: Int, idempotencyKey: String, date: Date) -> Result<OutgoingMessage, MissingVariable> {
        let unsubscribeURL = unsubscribeSigner.flatMap { signer in
            unsubscribeURLParts.map { parts in
                parts.before + signer.token(leadID: lead.id) + parts.after
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
            subject: TextTrimming.trimmed(RFC5322.clean(subject)),
            body: TextTrimming.trimmed(body) + "\n\n" + footerText.before + (unsubscribeURL.map { "Unsubscribe: \($0)\n" } ?? "")
                + footerText.after,
            messageID: "outreach." + installationID + "."
                + String(String.UnicodeScalarView(idempotencyKey.unicodeScalars.map { $0 == ":" ? "." : $0 })) + "@" + senderDomain,
            date: date,
            unsubscribeTargets: targets,
            idempotencyKey: Self.externalKey(installationID: installationID, key: idempotencyKey),
            campaignSlug: campaign.slug))
    }

    /// The footer around the per-recipient unsubscribe line.
    private let footerText: (before: String, after: String)

    private static func footer(campaign: Campaign) -> (before: String, after: String) {
        let before = "-- \n" + TextTrimming.trimmed(campaign.sender.postalAddress) + "\n"
        let after = campaign.unsubscribe.mailto.map {
            "To unsubscribe by email, write to \($0) with the subject \"unsubscribe\".\n"
        } ?? ""
        return (before, after)
    }
}
