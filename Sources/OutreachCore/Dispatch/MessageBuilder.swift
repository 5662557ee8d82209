import Foundation

/// Renders a campaign step for a lead into an `OutgoingMessage`.
///
/// Templates are parsed once per tick. The body gets the compliance footer (the sender's
/// postal address and how to unsubscribe); every header field is cleaned of control
/// characters, so a lead named "Ada\r\nBcc: x@y" stays one harmless display name.
public struct MessageBuilder: Sendable {
    private let campaign: Campaign
    /// nil for a step that replies in the lead's thread.
    private let subjects: [MessageTemplate?]
    private let bodies: [MessageTemplate]
    private let unsubscribeSigner: UnsubscribeToken.Signer?
    /// The unsubscribe URL split around `{{token}}`.
    private let unsubscribeURLParts: (before: String, after: String)?
    private let installationID: String
    /// The domain of each `From` (the right side of every `Message-ID`).
    private let senderDomains: [String: String]

    /// Parses the campaign's templates and reads the unsubscribe secret from the environment
    /// (a campaign with an unsubscribe URL cannot build messages without it).
    /// `installationID` is the database's random id (SPEC §9.4).
    public init(campaign: Campaign, secrets: SecretEnvironment, installationID: String) throws {
        self.campaign = campaign
        self.installationID = installationID
        unsubscribeSigner = try Self.unsubscribeSecret(of: campaign, in: secrets).map(UnsubscribeToken.Signer.init(secret:))
        senderDomains = Dictionary(campaign.sender.from.map { ($0, MailboxText.parse($0).map { EmailAddress.domain(of: $0.address) } ?? "localhost") },
                                   uniquingKeysWith: { first, _ in first })
        subjects = try campaign.steps.map { try $0.subject.map(MessageTemplate.init) }
        bodies = try campaign.steps.map { try MessageTemplate($0.body) }
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

    /// The message a threaded follow-up replies to: the lead's previous message.
    public struct ThreadParent: Sendable, Equatable {
        public var subject: String
        public var messageID: String
        /// The parent's own `References` (empty for the first message of a thread).
        public var references: [String]

        public init(subject: String, messageID: String, references: [String]) {
            self.subject = subject
            self.messageID = messageID
            self.references = references
        }

        /// `Re: <subject>`, without stacking a second `Re:`.
        public var replySubject: String {
            subject.lowercased().hasPrefix("re:") ? subject : "Re: " + subject
        }
    }

    /// Whether step `stepIndex` is a reply in the lead's thread (it has no subject of its own).
    public func isThreaded(_ stepIndex: Int) -> Bool {
        subjects[stepIndex] == nil
    }

    /// The message for `lead`'s step `stepIndex`, or the template variable it lacks.
    /// `idempotencyKey` is the job's key in the database; `from` the lead's sender (a
    /// campaign's first when nil); `thread` the message a subject-less step replies to.
    public func build(lead: Lead, stepIndex: Int, idempotencyKey: String, date: Date, from: String? = nil,
                      thread: ThreadParent? = nil) -> Result<OutgoingMessage, MissingVariable> {
        let unsubscribeURL = unsubscribeSigner.flatMap { signer in
            unsubscribeURLParts.map { parts in
                parts.before + signer.token(leadID: lead.id) + parts.after
            }
        }
        var values = lead.templateValues()
        if let unsubscribeURL { values["unsubscribe_url"] = unsubscribeURL }
        let subject: String
        let body: String
        if let template = subjects[stepIndex] {
            switch template.render(values) {
            case .success(let text): subject = text
            case .failure(let missing): return .failure(missing)
            }
        } else if let thread {
            subject = thread.replySubject
        } else {
            // No earlier message to reply to (its job was removed by hand): the nearest
            // earlier step's subject, as a reply would have had it.
            let earlier = subjects[..<stepIndex].last { $0 != nil }.flatMap { $0 }
            switch earlier?.render(values) ?? .success("") {
            case .success(let text): subject = "Re: " + text
            case .failure(let missing): return .failure(missing)
            }
        }
        switch bodies[stepIndex].render(values) {
        case .success(let text): body = text
        case .failure(let missing): return .failure(missing)
        }
        var targets: [String] = []
        if let unsubscribeURL { targets.append(unsubscribeURL) }
        if let mailto = campaign.unsubscribe.mailto { targets.append("mailto:\(mailto)?subject=unsubscribe") }
        let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        let sender = from ?? campaign.sender.primary
        let senderDomain = senderDomains[sender] ?? MailboxText.parse(sender).map { EmailAddress.domain(of: $0.address) } ?? "localhost"
        return .success(OutgoingMessage(
            to: lead.email,
            toName: name.isEmpty ? nil : RFC5322.clean(name),
            from: sender,
            replyTo: campaign.sender.replyTo,
            subject: TextTrimming.trimmed(RFC5322.clean(subject)),
            body: TextTrimming.trimmed(body) + "\n\n" + footerText.before + (unsubscribeURL.map { "Unsubscribe: \($0)\n" } ?? "")
                + footerText.after,
            messageID: "outreach." + installationID + "."
                + String(String.UnicodeScalarView(idempotencyKey.unicodeScalars.map { $0 == ":" ? "." : $0 })) + "@" + senderDomain,
            date: date,
            unsubscribeTargets: targets,
            idempotencyKey: Self.externalKey(installationID: installationID, key: idempotencyKey),
            campaignSlug: campaign.slug,
            inReplyTo: thread?.messageID,
            references: thread.map { $0.references + [$0.messageID] } ?? []))
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
