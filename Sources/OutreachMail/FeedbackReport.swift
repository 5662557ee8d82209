import Foundation

/// The machine-readable part of an RFC 5965 abuse report (`message/feedback-report`).
/// Kept apart from the classifier because complaints must be recognised by the standard
/// before any bounce heuristic gets a chance to see them.
public struct FeedbackReport: Sendable {
    /// Lowercased Feedback-Type (`abuse`, `opt-out`, `auth-failure`, ...), `abuse` when missing.
    public var feedbackType: String
    /// Original-Rcpt-To and Removal-Recipient addresses, lowercased.
    public var recipients: [String]
    /// Original-Mail-From, lowercased, if present.
    public var originalMailFrom: String?
    public var fields: MailHeaders

    /// Parses the body of a `message/feedback-report` part.
    public init(parsing text: String) {
        var fields: [MailHeaders.Field] = []
        var remaining = ArraySlice(Array(text.utf8))
        while !remaining.isEmpty {
            let parsed = MailHeaders.parse(remaining)
            fields += parsed.headers.fields
            guard parsed.bodyStart > remaining.startIndex else {
                guard let line = ByteText.line(in: remaining, from: remaining.startIndex) else { break }
                remaining = remaining[line.next...]
                continue
            }
            remaining = remaining[parsed.bodyStart...]
        }
        self.fields = MailHeaders(fields: fields)
        let type = self.fields["Feedback-Type"]?.trimmed.lowercased() ?? ""
        feedbackType = type.isEmpty ? "abuse" : type
        var recipients: [String] = []
        for value in self.fields.values("Original-Rcpt-To") + self.fields.values("Removal-Recipient") {
            for address in MailAddress.all(in: value) where !recipients.contains(address) { recipients.append(address) }
        }
        self.recipients = recipients
        originalMailFrom = MailAddress.first(in: self.fields["Original-Mail-From"])
    }
}
