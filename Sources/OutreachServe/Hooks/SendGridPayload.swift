import Foundation
import OutreachCore

/// Turns the event array of a verified SendGrid webhook into events.
///
/// It exists to keep SendGrid's event shapes apart from its signature check.
/// `bounce` with `type: bounce` is a hard bounce, with `type: blocked` (or any other) a soft one;
/// `spamreport` a complaint; `unsubscribe` and `group_unsubscribe` unsubscribes;
/// `dropped`, `deferred`, `delivered`, `open`, `click`, `processed`… are ignored.
enum SendGridPayload {
    static func outcome(_ items: [JSONValue]) -> HookOutcome {
        guard items.count <= HookLimits.maxEventsPerRequest else {
            return .malformed("sendgrid: more than \(HookLimits.maxEventsPerRequest) events")
        }
        var events: [FeedbackEvent] = []
        for (index, item) in items.enumerated() {
            guard item.isObject, let event = item["event"]?.string else {
                return .malformed("sendgrid: item \(index) is not an event object")
            }
            let kind: FeedbackEvent.Kind
            var bounce: FeedbackEvent.Bounce?
            switch event {
            case "bounce":
                kind = .bounce
                // Only `type: bounce` is a hard bounce; `blocked`, `expired`, a missing or an
                // unknown type are soft (conservative: they say nothing final about the address).
                bounce = item["type"]?.string == "bounce" ? .hard : .soft
            case "spamreport": kind = .complaint
            case "unsubscribe", "group_unsubscribe": kind = .unsubscribe
            default: continue
            }
            guard let id = item["sg_event_id"]?.identifier else {
                return .malformed("sendgrid: item \(index) has no sg_event_id")
            }
            guard let rawEmail = item["email"]?.string else {
                return .malformed("sendgrid: item \(index) has no email")
            }
            guard let seconds = item["timestamp"]?.double else {
                return .malformed("sendgrid: item \(index) has no timestamp")
            }
            guard let email = MailboxText.parse(rawEmail)?.address else { continue }
            events.append(FeedbackEvent(
                id: "sendgrid:\(id)", kind: kind, bounce: bounce, email: email,
                at: Date(timeIntervalSince1970: seconds)))
        }
        return .events(events)
    }
}
