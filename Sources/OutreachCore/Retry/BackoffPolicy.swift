import Foundation

/// When to try a transiently failed job again: `base · 2^(attempt−1)`, with a deterministic
/// jitter of at most ±10 %, never more than `cap`, over at most `maxAttempts` attempts.
///
/// The jitter comes from a hash of the job's idempotency key and the attempt number, so a
/// burst of failures spreads out, yet every replay computes the same schedule.
public struct BackoffPolicy: Sendable, Equatable {
    public let baseSeconds: Int
    public let capSeconds: Int
    public let maxAttempts: Int
    /// The largest relative jitter (0.1 = ±10 %).
    public let jitter: Double

    public init(baseSeconds: Int, capSeconds: Int, maxAttempts: Int, jitter: Double = 0.1) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
        self.maxAttempts = maxAttempts
        self.jitter = jitter
    }

    public init(_ settings: Campaign.RetrySettings) {
        self.init(baseSeconds: settings.baseSeconds, capSeconds: settings.capSeconds, maxAttempts: settings.maxAttempts)
    }

    /// What to do after attempt number `attempt` (1-based) failed transiently.
    public enum Next: Sendable, Equatable {
        case retry(at: Date)
        /// No attempts left.
        case dead
    }

    /// The delay before the attempt after `attempt`, without jitter.
    public func nominalDelay(afterAttempt attempt: Int) -> Int {
        let exponent = max(0, attempt - 1)
        guard exponent < 40 else { return capSeconds }
        let (raw, overflow) = baseSeconds.multipliedReportingOverflow(by: 1 << exponent)
        return overflow ? capSeconds : min(raw, capSeconds)
    }

    /// The jittered delay before the attempt after `attempt`, in whole seconds, at most `cap`.
    public func delay(afterAttempt attempt: Int, key: String) -> Int {
        let nominal = Double(nominalDelay(afterAttempt: attempt))
        let factor = 1 + (2 * unitHash(key: key, attempt: attempt) - 1) * jitter
        return min(capSeconds, max(1, Int((nominal * factor).rounded())))
    }

    /// The next step for a job whose attempt `attempt` just failed transiently at `now`.
    public func next(afterFailedAttempt attempt: Int, key: String, now: Date) -> Next {
        guard attempt < maxAttempts else { return .dead }
        return .retry(at: now.addingTimeInterval(Double(delay(afterAttempt: attempt, key: key))))
    }

    /// A number in [0, 1) derived from the key and attempt.
    private func unitHash(key: String, attempt: Int) -> Double {
        let hex = SHA256Digest.hex(of: "\(key)#\(attempt)")
        let value = UInt64(hex.prefix(13), radix: 16) ?? 0
        return Double(value) / Double(UInt64(1) << 52)
    }
}
