import Foundation

/// One piece of delivery feedback (SPEC §3 `events import`): a reply, an out-of-office
/// auto-reply, a bounce, a complaint or an unsubscribe, identified by the provider's id.
public struct FeedbackEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable, CaseIterable {
        /// A person replied: their sequence stops.
        case reply
        /// An out-of-office answer: the next step waits instead of stopping.
        case autoReply = "auto_reply"
        /// Hard: the address does not exist (suppressed). Soft: a temporary failure (counted;
        /// three in a row count as hard).
        case bounce
        /// Marked as spam: unsubscribed everywhere and suppressed.
        case complaint
        /// An unsubscribe request (for one campaign when the event names it).
        case unsubscribe
    }

    /// How hard a bounce is.
    public enum Bounce: String, Sendable {
        case hard, soft
    }

    public let id: String
    public let kind: Kind
    public let bounce: Bounce?
    public let email: String
    public let campaignSlug: String?
    public let at: Date

    public init(id: String, kind: Kind, bounce: Bounce?, email: String, campaignSlug: String? = nil, at: Date) {
        self.id = id
        self.kind = kind
        self.bounce = bounce
        self.email = email
        self.campaignSlug = campaignSlug
        self.at = at
    }

    /// Reads an event from its fields (CSV columns or JSON keys, as text). Accepts the
    /// bounce kind as `bounce`, `bounce_type` or `kind`, and the types `hard_bounce` and
    /// `soft_bounce`; a bounce without a kind counts as hard (the side that stops sending).
    static func parse(_ values: [String: String]) -> Result<FeedbackEvent, RowProblem> {
        guard let id = values["id"], !id.isEmpty else { return .failure(RowProblem(message: "the event has no id")) }
        guard id.count <= 200 else { return .failure(RowProblem(message: "the event id is longer than 200 characters")) }
        let typeText = (values["type"] ?? "").lowercased()
        var bounce: Bounce?
        let kind: Kind
        switch typeText {
        case "hard_bounce": (kind, bounce) = (.bounce, .hard)
        case "soft_bounce": (kind, bounce) = (.bounce, .soft)
        case "out_of_office", "auto-reply", "autoreply": kind = .autoReply
        default:
            guard let known = Kind(rawValue: typeText) else {
                return .failure(RowProblem(message: "unknown event type '\(EmailAddress.printable(typeText))'; use reply, auto_reply, bounce, complaint or unsubscribe"))
            }
            kind = known
        }
        if kind == .bounce, bounce == nil {
            let text = (values["bounce"] ?? values["bounce_type"] ?? values["kind"] ?? "hard").lowercased()
            guard let parsed = Bounce(rawValue: text) else {
                return .failure(RowProblem(message: "bounce kind '\(EmailAddress.printable(text))' must be hard or soft"))
            }
            bounce = parsed
        }
        let email = EmailAddress.normalize(values["email"] ?? "")
        if let problem = EmailAddress.problem(email) { return .failure(RowProblem(message: problem)) }
        guard let atText = values["at"], !atText.isEmpty else {
            return .failure(RowProblem(message: "the event has no 'at' time"))
        }
        guard let at = Timestamp.parse(atText) else {
            return .failure(RowProblem(message: "at '\(EmailAddress.printable(atText))' is not an ISO 8601 time like 2026-11-21T14:05:00Z"))
        }
        let slug = values["campaign"].flatMap { $0.isEmpty ? nil : $0 }
        return .success(FeedbackEvent(id: id, kind: kind, bounce: bounce, email: email, campaignSlug: slug, at: at))
    }
}
