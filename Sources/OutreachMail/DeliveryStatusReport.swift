import Foundation

/// The machine-readable part of an RFC 3464 delivery status notification
/// (`message/delivery-status`): one per-message field group, then one group per recipient.
/// It exists separately from the classifier so that the standard format is parsed exactly,
/// before any heuristics are tried.
public struct DeliveryStatusReport: Sendable {
    /// One per-recipient group.
    public struct Recipient: Sendable, Equatable {
        public var finalRecipient: String
        public var originalRecipient: String
        /// Lowercased Action (`failed`, `delayed`, `delivered`, `relayed`, `expanded`), may be empty.
        public var action: String
        /// The RFC 3463 code (`5.1.1`) from Status, or from Diagnostic-Code when Status lacks one.
        public var status: String
        /// The SMTP reply code found at the start of the diagnostic (`550`), may be empty.
        public var replyCode: String
        /// Diagnostic-Code text without its type prefix (`smtp;`).
        public var diagnostic: String
        /// The recipient's fields as they appeared.
        public var fields: MailHeaders

        /// The address to report: Final-Recipient, else Original-Recipient.
        public var address: String { finalRecipient.isEmpty ? originalRecipient : finalRecipient }
    }

    public var messageFields: MailHeaders
    public var recipients: [Recipient]

    /// Parses the body of a `message/delivery-status` part. Groups are separated by blank lines;
    /// a group that repeats Final-Recipient without a blank line is split as well.
    public init(parsing text: String) {
        messageFields = MailHeaders()
        recipients = []
        var remaining = ArraySlice(Array(text.utf8))
        var groups: [MailHeaders] = []
        while !remaining.isEmpty {
            let parsed = MailHeaders.parse(remaining)
            if !parsed.headers.fields.isEmpty { groups.append(parsed.headers) }
            guard parsed.bodyStart > remaining.startIndex else {
                // A line that is not a field: skip it.
                guard let line = ByteText.line(in: remaining, from: remaining.startIndex) else { break }
                remaining = remaining[line.next...]
                continue
            }
            remaining = remaining[parsed.bodyStart...]
        }
        for group in groups {
            var current: [MailHeaders.Field] = []
            for field in group.fields {
                let name = field.name.lowercased()
                let seen = Set(current.map { $0.name.lowercased() })
                let hasFinal = seen.contains("final-recipient")
                let progressed = hasFinal && (seen.contains("action") || seen.contains("status"))
                if (name == "final-recipient" && hasFinal)
                    || (name == "original-recipient" && (seen.contains("original-recipient") || progressed)) {
                    add(MailHeaders(fields: current))
                    current = []
                }
                current.append(field)
            }
            add(MailHeaders(fields: current))
        }
    }

    private mutating func add(_ group: MailHeaders) {
        guard !group.fields.isEmpty else { return }
        guard group["Final-Recipient"] != nil || group["Original-Recipient"] != nil else {
            if recipients.isEmpty, messageFields.fields.isEmpty { messageFields = group }
            return
        }
        let diagnostic = DeliveryStatusReport.stripType(group["Diagnostic-Code"] ?? "")
        var status = StatusCode.find(in: group["Status"] ?? "") ?? ""
        if status.isEmpty || status.hasSuffix(".0.0") {
            if let fromDiagnostic = StatusCode.find(in: diagnostic), fromDiagnostic.first == status.first || status.isEmpty {
                status = fromDiagnostic
            }
        }
        recipients.append(Recipient(
            finalRecipient: DeliveryStatusReport.address(group["Final-Recipient"]),
            originalRecipient: DeliveryStatusReport.address(group["Original-Recipient"]),
            action: (group["Action"] ?? "").lowercased().trimmed.split(separator: " ").first.map(String.init) ?? "",
            status: status,
            replyCode: StatusCode.replyCode(in: diagnostic) ?? "",
            diagnostic: diagnostic,
            fields: group))
    }

    /// `rfc822; <User@Example.org>` → `user@example.org`; other address types kept as text.
    static func address(_ value: String?) -> String {
        guard let value else { return "" }
        let bare = stripType(value)
        return MailAddress.all(in: bare).first ?? bare.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")).lowercased()
    }

    /// Removes a leading `type;` (as in `smtp; 550 ...` or `rfc822; a@b`).
    static func stripType(_ value: String) -> String {
        guard let semicolon = value.firstIndex(of: ";") else { return value.trimmed }
        let type = value[..<semicolon]
        guard type.count <= 20, !type.contains(" ") else { return value.trimmed }
        return value[value.index(after: semicolon)...].trimmed
    }
}
