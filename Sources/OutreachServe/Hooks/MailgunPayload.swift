import Foundation
import OutreachCore

/// Turns the `event-data` object of a verified Mailgun webhook into events.
///
/// It exists to keep Mailgun's event shapes apart from its signature check.
/// `failed` + `severity: permanent` is a hard bounce, `temporary` a soft one;
/// `complained` a complaint; `unsubscribed` an unsubscribe; all else is ignored.
enum MailgunPayload {
    static func outcome(_ eventData: JSONValue?) -> HookOutcome {
        guard let eventData, eventData.isObject else { return .malformed("mailgun: no event-data object") }
        guard let event = eventData["event"]?.string else { return .malformed("mailgun: event-data without event") }

        let kind: FeedbackEvent.Kind
        var bounce: FeedbackEvent.Bounce?
        switch event {
        case "failed":
            kind = .bounce
            switch eventData["severity"]?.string {
            case "permanent": bounce = .hard
            case "temporary": bounce = .soft
            default: return .malformed("mailgun: failed event without a known severity")
            }
        case "complained": kind = .complaint
        case "unsubscribed": kind = .unsubscribe
        default: return .events([])
        }

        guard let id = eventData["id"]?.identifier else { return .malformed("mailgun: event-data without id") }
        guard let rawEmail = eventData["recipient"]?.string else { return .malformed("mailgun: event-data without recipient") }
        guard let seconds = eventData["timestamp"]?.double else { return .malformed("mailgun: event-data without timestamp") }
        guard let email = MailboxText.parse(rawEmail)?.address else { return .events([]) }
        let at = Date(timeIntervalSince1970: seconds)
        return .events([FeedbackEvent(id: "mailgun:\(id)", kind: kind, bounce: bounce, email: email, at: at)])
    }
}
