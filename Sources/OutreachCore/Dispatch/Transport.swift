import Foundation

/// What a transport says about one message.
public enum SendOutcome: Sendable, Equatable {
    /// Accepted for delivery.
    case sent
    /// Failed in a way that may pass (timeouts, 5xx, 429, EX_TEMPFAIL): retry with backoff.
    case transient(String)
    /// Failed for good (4xx, a refused command). `invalidRecipient` means the address does not
    /// exist (EX_NOUSER, a provider's invalid-recipient answer), which also suppresses it.
    case permanent(String, invalidRecipient: Bool)
}

/// Hands a message to the outside world. Implementations: `ProofTransport` (records only),
/// `SendmailTransport`, `HTTPTransport`.
public protocol Transport: Sendable {
    /// Identifies the transport for its circuit breaker (kind and target, never a secret).
    var breakerKey: String { get }
    /// Sends one message; never throws, every failure is an outcome.
    func send(_ message: OutgoingMessage) -> SendOutcome
}

/// The proof-mode transport: accepts everything and sends nothing.
public struct ProofTransport: Transport {
    public init() {}
    public var breakerKey: String { "proof" }
    public func send(_ message: OutgoingMessage) -> SendOutcome { .sent }
}
