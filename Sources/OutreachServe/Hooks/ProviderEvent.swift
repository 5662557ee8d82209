import Foundation

/// What a provider reported about one recipient, in provider-neutral terms.
///
/// It exists so the rest of the product handles bounces, complaints and unsubscribes
/// the same way whichever email provider sent the webhook.
public struct ProviderEvent: Sendable, Equatable {
    /// What happened to the address.
    public enum Kind: String, Sendable { case bounce, complaint, unsubscribe }
    /// How final a bounce is: `hard` means the address will not work again.
    public enum Bounce: String, Sendable { case hard, soft }

    /// Provider-prefixed and stable across retries of the same webhook:
    /// `ses:<feedbackId>:<email>`, `sendgrid:<sg_event_id>`, `postmark:<ID>`,
    /// `mailgun:<event-data.id>`.
    public let id: String
    public let kind: Kind
    /// Set for `.bounce` only.
    public let bounce: Bounce?
    /// Lowercased and trimmed.
    public let email: String
    /// When the provider says it happened.
    public let at: Date

    public init(id: String, kind: Kind, bounce: Bounce?, email: String, at: Date) {
        self.id = id
        self.kind = kind
        self.bounce = kind == .bounce ? bounce : nil
        self.email = email
        self.at = at
    }
}
