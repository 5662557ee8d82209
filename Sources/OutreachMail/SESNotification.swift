import Foundation

/// An Amazon SES event notification (JSON, possibly wrapped in an SNS envelope) delivered by
/// mail. Senders that relay through SES receive bounces and complaints in this form instead of
/// DSN/ARF, so it gets its own small decoder.
struct SESNotification {
    struct Recipient {
        var address: String
        var status: String
        var action: String
        var diagnostic: String
    }

    /// Lowercased notificationType: `bounce`, `complaint` or `delivery`.
    var type: String
    var recipients: [Recipient]
    var feedbackType: String?
    /// Headers of the original message as listed in `mail.headers`.
    var originalHeaders: MailHeaders

    init?(text: String) {
        guard let json = SESNotification.jsonObject(text) else { return nil }
        var root = json
        if let message = json["Message"] as? String, let inner = SESNotification.jsonObject(message) { root = inner }
        guard let type = (root["notificationType"] as? String ?? root["eventType"] as? String)?.lowercased() else { return nil }
        self.type = type
        let mail = root["mail"] as? [String: Any] ?? [:]
        let headerList = mail["headers"] as? [[String: Any]] ?? []
        originalHeaders = MailHeaders(fields: headerList.compactMap { entry in
            guard let name = entry["name"] as? String, let value = entry["value"] as? String else { return nil }
            return MailHeaders.Field(name: name, value: value)
        })
        recipients = []
        switch type {
        case "bounce":
            let bounce = root["bounce"] as? [String: Any] ?? [:]
            for entry in bounce["bouncedRecipients"] as? [[String: Any]] ?? [] {
                let diagnostic = DeliveryStatusReport.stripType(entry["diagnosticCode"] as? String ?? "")
                recipients.append(Recipient(address: (entry["emailAddress"] as? String ?? "").lowercased(),
                                            status: entry["status"] as? String ?? StatusCode.find(in: diagnostic) ?? "",
                                            action: (entry["action"] as? String ?? "failed").lowercased(), diagnostic: diagnostic))
            }
            if (bounce["bounceType"] as? String)?.lowercased() == "transient" {
                for index in recipients.indices where recipients[index].action == "failed" { recipients[index].action = "delayed" }
            }
        case "complaint":
            let complaint = root["complaint"] as? [String: Any] ?? [:]
            feedbackType = (complaint["complaintFeedbackType"] as? String)?.lowercased() ?? "abuse"
            for entry in complaint["complainedRecipients"] as? [[String: Any]] ?? [] {
                recipients.append(Recipient(address: (entry["emailAddress"] as? String ?? "").lowercased(), status: "", action: "", diagnostic: ""))
            }
        default:
            let delivery = root["delivery"] as? [String: Any] ?? [:]
            for address in delivery["recipients"] as? [String] ?? mail["destination"] as? [String] ?? [] {
                recipients.append(Recipient(address: address.lowercased(), status: "2.0.0", action: "delivered",
                                            diagnostic: delivery["smtpResponse"] as? String ?? ""))
            }
        }
    }

    /// Parses the outermost `{...}` of `text` as a JSON object, undoing the line wrapping
    /// (`!` + line break + blank, or line break + blank after a long line) that mail relays add.
    private static func jsonObject(_ text: String) -> [String: Any]? {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return nil }
        let candidate = String(text[open...close])
        if let object = parse(candidate) { return object }
        var unwrapped = ""
        var previousLength = 0
        for line in ByteText.lines(candidate) {
            if line.hasPrefix(" "), unwrapped.hasSuffix("!") || previousLength >= 900 {
                if unwrapped.hasSuffix("!") { unwrapped.removeLast() }
                unwrapped += line.dropFirst()
            } else {
                unwrapped += (unwrapped.isEmpty ? "" : "\n") + line
            }
            previousLength = line.count
        }
        return parse(unwrapped)
    }

    private static func parse(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
