import Foundation

/// Turns one message into a `MailClassification`. The order is the contract: standards first
/// (RFC 5965 complaints, RFC 3464 DSNs), then the named rules of `Heuristic.table`, then
/// automatic replies (RFC 3834 and friends), and everything else is a plain message.
public enum MailClassifier {
    /// The heuristic rules, in the order they are tried (for documentation and CLI output).
    public static var heuristics: [Heuristic] { Heuristic.table }

    /// Classifies raw message bytes; never fails and never traps.
    public static func classify(_ bytes: Data) -> MailClassification {
        classify(MimeMessage(parsing: bytes))
    }

    /// Classifies an already parsed message.
    public static func classify(_ message: MimeMessage) -> MailClassification {
        let headers = message.headers
        var result = MailClassification(
            messageID: MessageIDs.parse(headers["Message-ID"]).first,
            inReplyTo: MessageIDs.parse(headers["In-Reply-To"]),
            references: MessageIDs.parse(headers["References"]),
            from: MailAddress.first(in: headers["From"]),
            subject: headers.decoded("Subject")?.collapsedWhitespace ?? "",
            date: MailDate.parse(headers["Date"]),
            outreachKey: headers["X-Outreach-Key"]?.trimmed,
            problems: message.allProblems)
        let text = NotificationText(of: message)
        result.problems += text.problems
        let original = OriginalMessage(message: message, text: text)

        if !classifyStandard(message, text: text, original: original, into: &result) {
            classifyHeuristically(message, text: text, original: original, into: &result)
        }
        if result.kind == .message, let evidence = AutoReplyDetector.evidence(headers: headers, subject: result.subject) {
            result.kind = .autoReply
            result.evidence = evidence
        }
        if result.kind == .bounce || result.kind == .complaint || result.kind == .delivered {
            result.originalMessageID = result.originalMessageID ?? original.messageID
            result.outreachKey = original.outreachKey ?? result.outreachKey
            result.originalRecipient = result.originalRecipient ?? original.to ?? result.recipients.first?.address
        }
        if result.evidence.isEmpty { result.evidence = "no feedback markers" }
        return result
    }

    // MARK: - Standards

    /// Raw bytes read from a machine-readable report part.
    static let reportLimit = 1024 * 1024

    /// RFC 5965 and RFC 3464; returns false when neither applies.
    private static func classifyStandard(_ message: MimeMessage, text: NotificationText, original: OriginalMessage, into result: inout MailClassification) -> Bool {
        let parts = message.allParts
        if let part = parts.first(where: { $0.contentType.mimeType == "message/feedback-report" }) {
            let report = FeedbackReport(parsing: part.text(limit: reportLimit))
            result.kind = .complaint
            result.feedbackType = report.feedbackType
            // Without Original-Rcpt-To, the complainer is the recipient of the reported message.
            let recipients = report.recipients.isEmpty ? [original.to].compactMap { $0 } : report.recipients
            result.recipients = recipients.map { FailedRecipient(address: $0) }
            result.originalRecipient = recipients.first
            result.evidence = "RFC 5965 feedback-report"
            return true
        }
        let dsnTypes = ["message/delivery-status", "message/global-delivery-status"]
        let reports = parts.filter { dsnTypes.contains($0.contentType.mimeType) }.map { DeliveryStatusReport(parsing: $0.text(limit: reportLimit)) }
        let groups = reports.flatMap(\.recipients)
        guard !reports.isEmpty else { return false }
        guard !groups.isEmpty else {
            result.problems.append("delivery-status part without recipient groups")
            return false
        }
        apply(groups, notice: text.notice, evidence: "RFC 3464 delivery-status", into: &result)
        return true
    }

    /// Fills bounce/delivered results from DSN recipient groups.
    private static func apply(_ groups: [DeliveryStatusReport.Recipient], notice: String, evidence: String, into result: inout MailClassification) {
        // Success: delivered/relayed/expanded, or a 2.x.x status unless the action says otherwise
        // (Postfix address verification reports "Action: deliverable").
        let successActions: Set<String> = ["delivered", "relayed", "expanded", "deliverable"]
        let failed = groups.filter {
            !successActions.contains($0.action) && !($0.status.hasPrefix("2") && $0.action != "failed" && $0.action != "delayed")
        }
        result.evidence = evidence
        if failed.isEmpty {
            result.kind = .delivered
            result.recipients = groups.map { FailedRecipient(address: $0.address, status: $0.status, replyCode: $0.replyCode, diagnostic: $0.diagnostic.collapsedWhitespace) }
            return
        }
        result.kind = .bounce
        let blocks = TextBounceParser.blocks(in: notice, excluding: [], wholeTextFallback: false)
        for group in failed where !result.recipients.contains(where: { $0.address == group.address && !group.address.isEmpty }) {
            let block = blocks.first { $0.address == group.address }?.text
                ?? (failed.count == 1 && blocks.count == 1 ? blocks[0].text : nil)
                ?? TextBounceParser.paragraph(mentioning: group.address, in: notice) ?? ""
            let diagnostic = group.diagnostic.isEmpty ? block : group.diagnostic
            var status = group.status
            if status.isEmpty || status.hasSuffix(".0.0"), let detailed = StatusCode.find(in: diagnostic) ?? StatusCode.find(in: block),
               status.isEmpty || detailed.first == status.first {
                status = detailed  // "Status: 5.0.0" with "550 5.1.1 ..." in the text
            }
            let replyCode = group.replyCode.isEmpty ? TextBounceParser.replyCode(in: diagnostic) : group.replyCode
            // A short notice about a single failure explains it; a long one is mostly boilerplate.
            let context = notice.count < 600 && failed.count == 1 ? block + "\n" + notice : block
            result.recipients.append(FailedRecipient(address: group.address, status: status, replyCode: replyCode,
                                                     diagnostic: diagnostic, context: context, action: group.action))
        }
    }

    // MARK: - Heuristics

    private static func classifyHeuristically(_ message: MimeMessage, text: NotificationText, original: OriginalMessage, into result: inout MailClassification) {
        let headers = message.headers
        let embedded = message.allParts.dropFirst().first(where: \.isEmbeddedMessage)?.embeddedMessage
        let clues = Heuristic.Clues(
            headers: headers, from: result.from ?? "", fromHeader: (headers.decoded("From") ?? "").lowercased(),
            subject: result.subject.lowercased(), notice: text.notice.lowercased(),
            hasEmbeddedMessage: embedded != nil, embeddedHeaders: embedded?.headers)
        guard let rule = Heuristic.table.first(where: { $0.matches(clues) }) else { return }
        result.evidence = "heuristic: " + rule.name
        switch rule.name {
        case "Amazon SES notification":
            applySES(text.notice, into: &result)
        case _ where rule.kind == .complaint:
            result.kind = .complaint
            result.feedbackType = rule.name == "Apple unsubscribe" ? "opt-out" : "abuse"
            // JMRP names the complainer in the attached message; an unsubscribe request comes from them.
            let address = rule.name == "Apple unsubscribe" ? result.from
                : embedded?.headers["X-HmXmrOriginalRecipient"].flatMap { MailAddress.first(in: $0) } ?? original.to
            result.recipients = address.map { [FailedRecipient(address: $0)] } ?? []
            result.originalRecipient = address
        default:
            result.kind = .bounce
            result.recipients = textRecipients(message, text: text, original: original, from: result.from)
        }
    }

    /// Failed recipients of a bounce without a delivery-status part.
    private static func textRecipients(_ message: MimeMessage, text: NotificationText, original: OriginalMessage, from: String?) -> [FailedRecipient] {
        let notice = text.notice
        // DSN fields pasted into the text ("Final-Recipient: rfc822; a@b").
        if let range = notice.range(of: "final-recipient:", options: .caseInsensitive) ?? notice.range(of: "original-recipient:", options: .caseInsensitive) {
            let start = notice[..<range.lowerBound].lastIndex(of: "\n").map { notice.index(after: $0) } ?? notice.startIndex
            let report = DeliveryStatusReport(parsing: String(notice[start...]))
            if !report.recipients.isEmpty {
                var inline = MailClassification()
                apply(report.recipients, notice: notice, evidence: "", into: &inline)
                if inline.kind == .bounce, !inline.recipients.isEmpty { return inline.recipients }
            }
        }
        var excluded = Set(MailAddress.all(in: message.headers["To"] ?? ""))
        if let from { excluded.insert(from) }
        if let sender = original.from { excluded.insert(sender) }
        var blocks = TextBounceParser.blocks(in: notice, excluding: excluded)
        let failedHeader = message.headers.values("X-Failed-Recipients").flatMap { MailAddress.all(in: $0) }
        if !failedHeader.isEmpty {
            blocks = failedHeader.map { address in
                blocks.first { $0.address == address } ?? TextBounceParser.Block(address: address, text: notice)
            }
        }
        if blocks.isEmpty, let to = original.to, !excluded.contains(to) {
            blocks = [TextBounceParser.Block(address: to, text: notice)]
        }
        return blocks.map { block in
            let status = StatusCode.find(in: block.text) ?? ""
            let replyCode = TextBounceParser.replyCode(in: block.text)
            return FailedRecipient(address: block.address, status: status, replyCode: replyCode, diagnostic: block.text,
                                   context: notice.count < 600 && blocks.count == 1 ? notice : "", action: "")
        }
    }

    private static func applySES(_ notice: String, into result: inout MailClassification) {
        guard let notification = SESNotification(text: notice) else {
            result.kind = .message
            result.evidence = ""
            result.problems.append("unparsable Amazon SES notification")
            return
        }
        result.originalRecipient = notification.originalHeaders["To"].flatMap { MailAddress.first(in: $0) }
        result.originalMessageID = MessageIDs.parse(notification.originalHeaders["Message-ID"]).first
        result.outreachKey = notification.originalHeaders["X-Outreach-Key"]?.trimmed ?? result.outreachKey
        switch notification.type {
        case "complaint":
            result.kind = .complaint
            result.feedbackType = notification.feedbackType
            result.recipients = notification.recipients.map { FailedRecipient(address: $0.address) }
        case "bounce":
            result.kind = .bounce
            result.recipients = notification.recipients.map {
                let code = StatusCode.replyCode(in: $0.diagnostic) ?? ""
                return FailedRecipient(address: $0.address, status: $0.status, replyCode: code, diagnostic: $0.diagnostic,
                                       context: "", action: $0.action)
            }
        case "delivery":
            result.kind = .delivered
            result.recipients = notification.recipients.map { FailedRecipient(address: $0.address, status: $0.status, diagnostic: $0.diagnostic) }
        default:  // send, open, click, ...: not feedback about delivery
            result.kind = .message
            result.evidence = ""
        }
    }
}
