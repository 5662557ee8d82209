import Foundation

/// One named rule for recognising feedback that does not follow RFC 3464 / RFC 5965.
/// All such rules live in the single `Heuristic.table`, tried in order after the standards,
/// so that the README (and the CLI) can list exactly what the classifier guesses at.
public struct Heuristic: Sendable {
    public let name: String
    /// What the rule looks at, in one sentence.
    public let description: String
    /// The kind a match implies.
    public let kind: MailKind
    let matches: @Sendable (Clues) -> Bool

    /// What the rules may look at: lowercased header values and the notification text.
    struct Clues {
        var headers: MailHeaders
        var from: String
        var fromHeader: String
        var subject: String
        var notice: String
        var hasEmbeddedMessage: Bool
        var embeddedHeaders: MailHeaders?
    }

    /// Subjects that mail systems give to non-delivery reports (lowercased substrings).
    public static let bounceSubjects = [
        "undelivered mail", "undeliverable", "undelivered message", "returned mail", "mail delivery failed",
        "delivery status notification (failure)", "delivery status notification (delay)", "failure notice",
        "delivery failure", "delivery failed", "failed delivery", "failure delivery", "mail delivery failure",
        "delivery notification", "delivery status notification", "mail system error", "non remis", "non recapitabile",
        "nicht zustellbar", "unzustellbar", "no se puede entregar", "could not send message", "delayed mail",
        "mail failure", "message you sent blocked", "error sending your mail", "returning message to sender",
        "message not delivered", "mail delivery status", "nondeliverable", "non-delivery", "delivery problem",
        "недоставленное сообщение", "delivery error", "message delayed", "delayed 24 hours", "see transcript",
        "unable to deliver", "returned to sender", "rejected mail", "delivery report",
    ]

    /// Notification wording of non-delivery reports (lowercased substrings of the notice).
    public static let failureWording = [
        "could not be delivered", "couldn't be delivered", "wasn't able to deliver", "was not able to deliver",
        "unable to deliver", "delivery to the following recipient", "delivery has failed", "did not reach",
        "was not delivered", "could not deliver", "failed permanently", "permanent error", "fatal error",
        "following address(es) failed", "following addresses failed", "message delivery failed", "has not yet been delivered",
        "could not be sent", "not delivered to", "qmail-send program", "mail delivery software",
        "failed to deliver", "delivery problem", "delivery failure", "error occurred while trying to deliver",
        "no valid recipients", "undeliverable", "returned to the sender", "message was not sent",
        "the following recipients", "this message was created automatically", "delivery attempts will continue",
        "ha fallado la entrega", "non è stato possibile", "konnte nicht zugestellt", "n'a pas pu être remis",
        "could not be forwarded", "permanently rejected", "rejected by the server", "message could not",
        "送信に失敗しました", "送信できませんでした", "配信できませんでした", "配送できませんでした", "届けることができませんでした",
    ]

    /// True when a line of the notice starts with a permanent SMTP reply (`550 ...`).
    static func hasPermanentReplyLine(_ notice: String) -> Bool {
        ByteText.lines(notice).contains { StatusCode.replyCode(in: String($0))?.hasPrefix("5") == true }
    }

    /// Display names and local parts that mark the sender as a mail system (lowercased).
    static let systemSenders = ["mailer-daemon", "mail delivery", "postmaster", "mail-daemon", "mail administrator",
                                "mailer daemon", "delivery subsystem", "mail system"]

    static func fromMailSystem(_ clues: Clues) -> Bool {
        MailAddress.isMailSystem(clues.from) || systemSenders.contains(where: clues.fromHeader.contains)
    }

    /// The ordered rule table.
    public static let table: [Heuristic] = [
        Heuristic(name: "Amazon SES notification", description: "Body is an Amazon SES/SNS JSON notification (notificationType Bounce, Complaint or Delivery).", kind: .bounce) { clues in
            clues.notice.contains("\"notificationtype\"") || clues.notice.contains("\\\"notificationtype\\\"")
        },
        Heuristic(name: "Apple unsubscribe", description: "Header X-Apple-Unsubscribe: true (Apple Mail unsubscribe request) is an opt-out complaint.", kind: .complaint) { clues in
            clues.headers["X-Apple-Unsubscribe"]?.lowercased().trimmed == "true"
        },
        Heuristic(name: "Microsoft JMRP complaint", description: "An attached message carrying X-HmXmrOriginalRecipient (Outlook.com junk-mail report) is an abuse complaint.", kind: .complaint) { clues in
            clues.embeddedHeaders?["X-HmXmrOriginalRecipient"] != nil
        },
        Heuristic(name: "X-Failed-Recipients header", description: "Header X-Failed-Recipients (Exim, Gmail and others) lists the failed addresses; needs a mail-system sender or a bounce subject too.", kind: .bounce) { clues in
            clues.headers["X-Failed-Recipients"] != nil && (fromMailSystem(clues) || bounceSubjects.contains(where: clues.subject.contains))
        },
        Heuristic(name: "qmail failure notice", description: "Body says \"This is the qmail-send program\", or subject \"failure notice\" from a mail-system sender (qmail, vpopmail, Yahoo).", kind: .bounce) { clues in
            clues.notice.contains("qmail-send program") || (clues.subject.contains("failure notice") && fromMailSystem(clues))
        },
        Heuristic(name: "Mail-system sender and bounce subject", description: "From MAILER-DAEMON/postmaster/\"Mail Delivery System\" and a non-delivery subject (Undelivered Mail Returned to Sender, Mail delivery failed, Undeliverable:, Returned mail:, ...).", kind: .bounce) { clues in
            fromMailSystem(clues) && bounceSubjects.contains(where: clues.subject.contains)
        },
        Heuristic(name: "Bounce subject and failure wording", description: "A non-delivery subject and notification wording such as \"could not be delivered\" or \"did not reach the following recipient(s)\".", kind: .bounce) { clues in
            bounceSubjects.contains(where: clues.subject.contains) && failureWording.contains(where: clues.notice.contains)
        },
        Heuristic(name: "Mail-system sender and failure wording", description: "From MAILER-DAEMON/postmaster and notification wording such as \"could not be delivered\".", kind: .bounce) { clues in
            fromMailSystem(clues) && failureWording.contains(where: clues.notice.contains)
        },
        Heuristic(name: "Mail-system sender and SMTP rejection", description: "From MAILER-DAEMON/postmaster/post_master and a line of the notice starting with a 5xx SMTP reply.", kind: .bounce) { clues in
            fromMailSystem(clues) && hasPermanentReplyLine(clues.notice)
        },
        Heuristic(name: "Failure wording and returned message", description: "Notification wording such as \"could not be delivered\" plus the original message attached as message/rfc822.", kind: .bounce) { clues in
            clues.hasEmbeddedMessage && failureWording.contains(where: clues.notice.contains)
        },
    ]

    /// The table as Markdown (`| # | Rule | Implies | Looks at |`), for the README and the CLI.
    public static var markdownTable: String {
        var lines = ["| # | Rule | Implies | Looks at |", "|---|------|---------|----------|"]
        for (index, rule) in table.enumerated() {
            let implies = rule.name == "Amazon SES notification" ? "bounce / complaint / delivered" : rule.kind.rawValue
            lines.append("| \(index + 1) | \(rule.name) | \(implies) | \(rule.description.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return lines.joined(separator: "\n")
    }
}
