import OutreachCore
/// The answer of a verifier, which the caller turns into an HTTP response.
///
/// It exists so that verification, parsing and the HTTP status all come from one place:
/// `.events` and `.subscriptionConfirmation` answer 200; `.rejected` carries the status.
public enum HookOutcome: Sendable, Equatable {
    /// Verified. May be empty: deliveries, opens, clicks and the like are ignored, and
    /// an exact retry of a Mailgun request already seen yields no events.
    case events([FeedbackEvent])
    /// A verified Amazon SNS subscription confirmation: the caller logs the URL or
    /// confirms the subscription by fetching it.
    case subscriptionConfirmation(subscribeURL: String, topicArn: String)
    /// Not accepted. `status` is 400 (malformed), 401 (missing or wrong credentials or
    /// signature), 403 (stale, replayed, wrong topic, untrusted certificate), or, for
    /// SNS only, 503 (the certificate could not be fetched: worth a retry) and 500 (no
    /// certificate source configured). `reason` is for the log: it never contains an
    /// address or a secret.
    case rejected(status: Int, reason: String)
}

extension HookOutcome {
    static func malformed(_ reason: String) -> HookOutcome { .rejected(status: 400, reason: reason) }
    static func unauthorized(_ reason: String) -> HookOutcome { .rejected(status: 401, reason: reason) }
    static func forbidden(_ reason: String) -> HookOutcome { .rejected(status: 403, reason: reason) }
}
