import Foundation

/// What a received message is, from the point of view of an outreach campaign.
public enum MailKind: String, Sendable, CaseIterable {
    case bounce, complaint, autoReply = "auto_reply", delivered, message
}

/// One recipient a bounce (or complaint) is about. It exists so the importer can suppress
/// exactly the addresses that are bad: `hard` is true only when the address itself is invalid
/// (unknown user, unknown domain), never for full mailboxes, deferrals or policy blocks.
public struct FailedRecipient: Sendable, Equatable {
    /// Lowercased addr-spec; may be empty when the bounce names no address.
    public var address: String
    /// RFC 3463 enhanced status code such as `5.1.1`; empty when none was given.
    public var status: String
    /// SMTP reply code such as `550`; empty when none was given.
    public var replyCode: String
    /// The remote server's explanation, whitespace-collapsed.
    public var diagnostic: String
    /// True only when the address itself is bad (see `BounceSeverity`).
    public var hard: Bool
    /// Why `hard` was decided, e.g. `status 5.1.1` or `wording "quota"`.
    public var severityReason: String

    public init(address: String, status: String = "", replyCode: String = "", diagnostic: String = "", hard: Bool = false,
                severityReason: String = "") {
        self.address = address
        self.status = status
        self.replyCode = replyCode
        self.diagnostic = diagnostic
        self.hard = hard
        self.severityReason = severityReason
    }

    /// A failed recipient whose hardness is decided by `BounceSeverity`.
    init(address: String, status: String, replyCode: String, diagnostic: String, context: String, action: String) {
        let verdict = BounceSeverity.verdict(status: status, replyCode: replyCode, diagnostic: diagnostic, context: context, action: action)
        self.init(address: address, status: status, replyCode: replyCode, diagnostic: diagnostic.collapsedWhitespace,
                  hard: verdict.hard, severityReason: verdict.why)
    }
}

/// The result of classifying one message: its kind, who it is about, which message of ours it
/// refers to, and why the classifier decided so (`evidence`), so that every decision can be
/// explained to the user.
public struct MailClassification: Sendable {
    public var kind: MailKind
    /// Bounces: the failed recipients; complaints: the complained recipient(s) with `hard == false`.
    public var recipients: [FailedRecipient]
    /// Complaints: the ARF Feedback-Type (`abuse`, `opt-out`, ...).
    public var feedbackType: String?
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    /// The lowercased addr-spec of From.
    public var from: String?
    /// RFC 2047-decoded Subject, empty when absent.
    public var subject: String
    public var date: Date?
    /// Bounces and complaints: the Message-ID of the message that bounced or was complained about.
    public var originalMessageID: String?
    /// Bounces and complaints: the address the original message was sent to, when known.
    public var originalRecipient: String?
    /// The raw `X-Outreach-Key` value of the original message (or of this message), if present.
    public var outreachKey: String?
    /// Which standard or heuristic decided, e.g. `RFC 3464 delivery-status`.
    public var evidence: String
    /// One short line per malformed thing met while parsing.
    public var problems: [String]

    public init(kind: MailKind = .message, recipients: [FailedRecipient] = [], feedbackType: String? = nil,
                messageID: String? = nil, inReplyTo: [String] = [], references: [String] = [], from: String? = nil,
                subject: String = "", date: Date? = nil, originalMessageID: String? = nil,
                originalRecipient: String? = nil, outreachKey: String? = nil, evidence: String = "",
                problems: [String] = []) {
        self.kind = kind
        self.recipients = recipients
        self.feedbackType = feedbackType
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.from = from
        self.subject = subject
        self.date = date
        self.originalMessageID = originalMessageID
        self.originalRecipient = originalRecipient
        self.outreachKey = outreachKey
        self.evidence = evidence
        self.problems = problems
    }
}
