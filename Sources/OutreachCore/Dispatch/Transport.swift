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
    /// The message was handed over, but nothing says whether it was accepted (a timeout after
    /// the hand-over, a child killed by a signal, a request with no answer). Never re-sent
    /// automatically: the job becomes `unknown` (SPEC §9.1), unless the transport can repeat
    /// the request under the same idempotency key (`Transport.idempotencyWindowSeconds`).
    case unknown(String)
}

/// Hands a message to the outside world. Implementations: `ProofTransport` (records only),
/// `SendmailTransport`, `HTTPTransport`.
public protocol Transport: Sendable {
    /// Identifies the transport for its circuit breaker (kind and target, never a secret).
    var breakerKey: String { get }
    /// Sends one message; never throws, every failure is an outcome.
    func send(_ message: OutgoingMessage) -> SendOutcome
    /// How long the receiving side recognises a repeated request by its idempotency key, so
    /// that an `unknown` outcome may be retried within it; nil: never (sendmail).
    var idempotencyWindowSeconds: Int? { get }
}

extension Transport {
    public var idempotencyWindowSeconds: Int? { nil }
}

/// The proof-mode transport: accepts everything and sends nothing.
public struct ProofTransport: Transport {
    public init() {}
    public var breakerKey: String { "proof" }
    public func send(_ message: OutgoingMessage) -> SendOutcome { .sent }
}
