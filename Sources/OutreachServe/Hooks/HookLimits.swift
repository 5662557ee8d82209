/// Bounds every verifier applies, so a hostile or broken sender cannot make one request
/// expensive.
enum HookLimits {
    /// Largest body accepted (the server should already cut at this size).
    static let maxBodyBytes = 64 * 1024
    /// Most events (or SES recipients) one request may carry; more answers 400.
    static let maxEventsPerRequest = 1000
}
