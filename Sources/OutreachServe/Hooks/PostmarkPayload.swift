import Foundation
import OutreachCore

/// Turns one verified Postmark webhook body into events.
///
/// It exists to keep Postmark's record shapes apart from its authentication.
enum PostmarkPayload {
    static func outcome(_ json: JSONValue) -> HookOutcome {
        guard let recordType = json["RecordType"]?.string else {
            return .malformed("postmark: no RecordType")
        }
        switch recordType {
        case "Bounce", "SpamComplaint":
            return bounceOrComplaint(json, recordType: recordType)
        case "SubscriptionChange":
            return subscriptionChange(json)
        default:
            return .events([])  // Delivery, Open, Click, Inbound…
        }
    }

    private static func bounceOrComplaint(_ json: JSONValue, recordType: String) -> HookOutcome {
        let type = recordType == "SpamComplaint" ? "SpamComplaint" : json["Type"]?.string
        guard let type else { return .malformed("postmark: bounce without Type") }
        let mapping = PostmarkBounceType.mapping(for: type)
        if mapping == .ignored { return .events([]) }
        guard let id = json["ID"]?.identifier else { return .malformed("postmark: bounce without ID") }
        guard let rawEmail = json["Email"]?.string else { return .malformed("postmark: bounce without Email") }
        guard let bouncedAt = json["BouncedAt"]?.string, let at = Timestamp.parse(bouncedAt) else {
            return .malformed("postmark: bounce without a valid BouncedAt")
        }
        guard let email = MailboxText.parse(rawEmail)?.address else { return .events([]) }
        let eventID = "postmark:\(id)"
        switch mapping {
        case .bounce(let severity):
            return .events([FeedbackEvent(id: eventID, kind: .bounce, bounce: severity, email: email, at: at)])
        case .complaint:
            return .events([FeedbackEvent(id: eventID, kind: .complaint, bounce: nil, email: email, at: at)])
        case .unsubscribe:
            return .events([FeedbackEvent(id: eventID, kind: .unsubscribe, bounce: nil, email: email, at: at)])
        case .ignored:
            return .events([])
        }
    }

    /// `SuppressSending: true` means Postmark stopped sending to the address (hard
    /// bounce, complaint, or the recipient's or an operator's suppression): reported as
    /// an unsubscribe. `false` is a reactivation, ignored.
    private static func subscriptionChange(_ json: JSONValue) -> HookOutcome {
        guard let suppress = json["SuppressSending"]?.bool else {
            return .malformed("postmark: SubscriptionChange without SuppressSending")
        }
        guard suppress else { return .events([]) }
        guard let rawEmail = json["Recipient"]?.string else {
            return .malformed("postmark: SubscriptionChange without Recipient")
        }
        guard let changedAt = json["ChangedAt"]?.string, let at = Timestamp.parse(changedAt) else {
            return .malformed("postmark: SubscriptionChange without a valid ChangedAt")
        }
        guard let email = MailboxText.parse(rawEmail)?.address else { return .events([]) }
        let id: String
        if let recordID = json["ID"]?.identifier {
            id = "postmark:\(recordID)"
        } else if let messageID = json["MessageID"]?.identifier {
            id = "postmark:\(messageID):\(changedAt)"
        } else {
            // MessageID is null for manual suppressions and reactivations.
            id = "postmark:\(email):\(changedAt)"
        }
        return .events([FeedbackEvent(id: id, kind: .unsubscribe, bounce: nil, email: email, at: at)])
    }
}
