import Foundation
import OutreachCore

/// Turns the `Message` of a verified SNS notification, an Amazon SES notification or
/// event-publishing record, into events.
///
/// It exists to keep SES's shapes apart from SNS's signature check. `notificationType`
/// (or `eventType`) `Bounce`: `bounceType` Permanent is hard, Transient and Undetermined
/// (and anything else) soft, one event per `bouncedRecipients[].emailAddress`;
/// `Complaint`: one per `complainedRecipients[].emailAddress` (a `not-spam` feedback
/// type is ignored). Event ids are `ses:<feedbackId>:<email>`. Other types, and a
/// Message that is not a JSON object (SES's own "Successfully validated SNS topic" test
/// message), are ignored.
enum SESNotification {
    static func outcome(message: String, fallbackDate: Date) -> HookOutcome {
        guard let json = JSONValue.parse(Array(message.utf8)), json.isObject else { return .events([]) }
        switch json["notificationType"]?.string ?? json["eventType"]?.string {
        case "Bounce":
            guard let bounce = json["bounce"], bounce.isObject else { return .malformed("ses: Bounce without bounce object") }
            guard let bounceType = bounce["bounceType"]?.string else { return .malformed("ses: bounce without bounceType") }
            let severity: FeedbackEvent.Bounce = bounceType == "Permanent" ? .hard : .soft
            return events(in: bounce, recipientsKey: "bouncedRecipients", kind: .bounce, bounce: severity, fallbackDate: fallbackDate)
        case "Complaint":
            guard let complaint = json["complaint"], complaint.isObject else {
                return .malformed("ses: Complaint without complaint object")
            }
            if complaint["complaintFeedbackType"]?.string == "not-spam" { return .events([]) }
            return events(in: complaint, recipientsKey: "complainedRecipients", kind: .complaint, bounce: nil, fallbackDate: fallbackDate)
        default:
            return .events([])  // Delivery, Send, Open, Click, DeliveryDelay…
        }
    }

    private static func events(
        in object: JSONValue, recipientsKey: String, kind: FeedbackEvent.Kind,
        bounce: FeedbackEvent.Bounce?, fallbackDate: Date
    ) -> HookOutcome {
        guard let recipients = object[recipientsKey]?.array else { return .malformed("ses: no \(recipientsKey) array") }
        guard recipients.count <= HookLimits.maxEventsPerRequest else {
            return .malformed("ses: more than \(HookLimits.maxEventsPerRequest) recipients")
        }
        guard let feedbackId = object["feedbackId"]?.string, !feedbackId.isEmpty else {
            return .malformed("ses: no feedbackId")
        }
        let at = object["timestamp"]?.string.flatMap(Timestamp.parse) ?? fallbackDate
        var events: [FeedbackEvent] = []
        var seen: Set<String> = []
        for recipient in recipients {
            guard let raw = recipient["emailAddress"]?.string else { return .malformed("ses: recipient without emailAddress") }
            guard let email = MailboxText.parse(raw)?.address, seen.insert(email).inserted else { continue }
            events.append(FeedbackEvent(id: "ses:\(feedbackId):\(email)", kind: kind, bounce: bounce, email: email, at: at))
        }
        return .events(events)
    }
}
