import Foundation

/// When a transport is considered down: a pure function of its stored state and `now`.
///
/// After `threshold` consecutive transient failures the breaker opens for `cooldown`; while
/// open, nothing is dispatched through that transport. When the cool-down has passed, one
/// trial dispatch is let through (`half_open`): success closes the breaker, a transient
/// failure opens it again. A permanent failure proves the transport answers, so it counts
/// as health. A trial that never reports back (a crash) is retried after another cool-down.
public struct CircuitBreaker: Sendable, Equatable {
    public let threshold: Int
    public let cooldownSeconds: Int

    public init(threshold: Int, cooldownSeconds: Int) {
        self.threshold = threshold
        self.cooldownSeconds = cooldownSeconds
    }

    public init(_ settings: Campaign.BreakerSettings) {
        self.init(threshold: settings.failureThreshold, cooldownSeconds: settings.cooldownSeconds)
    }

    /// May a dispatch go through now?
    public enum Permission: Sendable, Equatable {
        case allowed
        /// Allowed as the trial after a cool-down; `state` is what to store before sending.
        case trial(BreakerState)
        /// Not before `until`.
        case blocked(until: Date)
    }

    /// What the stored state allows at `now`.
    public func permission(_ state: BreakerState?, key: String, now: Date) -> Permission {
        guard let state, state.state != .closed else { return .allowed }
        if let until = state.openUntil, now < until { return .blocked(until: until) }
        var trial = state
        trial.state = .halfOpen
        trial.openUntil = now.addingTimeInterval(Double(cooldownSeconds))
        return .trial(trial)
    }

    /// The state after a dispatch through the transport ended with `outcome`.
    public func record(_ outcome: SendOutcome, on state: BreakerState?, key: String, now: Date) -> BreakerState {
        var next = state ?? BreakerState(key: key, state: .closed, consecutiveFailures: 0, openedAt: nil, openUntil: nil)
        switch outcome {
        case .sent, .permanent:
            next.state = .closed
            next.consecutiveFailures = 0
            next.openedAt = nil
            next.openUntil = nil
        case .transient, .unknown:
            next.consecutiveFailures += 1
            if next.state == .halfOpen || next.consecutiveFailures >= threshold {
                next.state = .open
                next.openedAt = now
                next.openUntil = now.addingTimeInterval(Double(cooldownSeconds))
            }
        }
        return next
    }
}
