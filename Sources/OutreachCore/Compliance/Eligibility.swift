import Foundation

/// What the database knows about a lead's address at one instant, gathered by the tick
/// inside its transaction and judged by `Eligibility`.
public struct ComplianceFacts: Sendable, Equatable {
    /// Where an unsubscribe applies.
    public enum UnsubscribeScope: Sendable, Equatable {
        case global(source: String?)
        case campaign(source: String?)
    }

    public var unsubscribe: UnsubscribeScope?
    /// The reason of an active email suppression (empty when none was given), or nil.
    public var emailSuppression: String?
    /// The reason of an active domain suppression (empty when none was given), or nil.
    public var domainSuppression: String?
    /// The last contact of this address by any campaign in this database.
    public var lastContactAt: Date?

    public init(unsubscribe: UnsubscribeScope? = nil, emailSuppression: String? = nil,
                domainSuppression: String? = nil, lastContactAt: Date? = nil) {
        self.unsubscribe = unsubscribe
        self.emailSuppression = emailSuppression
        self.domainSuppression = domainSuppression
        self.lastContactAt = lastContactAt
    }
}

/// The verdict for one lead at one instant.
public enum Verdict: Sendable, Equatable {
    /// Never contact again (DNC, unsubscribe, suppression): the lead becomes `blocked`.
    case block(DecisionKind, reason: String)
    /// Not now: the lead's `next_action_at` moves to when it becomes eligible.
    case postpone(DecisionKind, until: Date, reason: String)
    /// The daily quota is used up: the lead is left as it is and the run stops.
    case quotaExhausted(reason: String)
    /// There is no step left: the lead is `completed`.
    case complete
    /// Send step `stepIndex` now.
    case dispatch(stepIndex: Int)
}

/// The per-lead rules of SPEC §4 step 5, as a pure function, in the SPEC's order:
/// DNC, unsubscribe, suppression (email, then domain), sending window, cooldown, daily quota,
/// and whether a next step exists. (Template rendering, the last check, needs the message
/// builder and happens in the tick.)
public enum Eligibility {
    /// Everything the rules read besides the lead and its facts.
    public struct Context: Sendable {
        public var now: Date
        /// The window state in the zone that applies to this lead.
        public var window: SendingWindow.State
        /// The zone the window was computed in (for the reason text).
        public var windowZone: String
        public var cooldownSeconds: Int
        public var quotaRemaining: Int
        public var dailyQuota: Int
        public var stepCount: Int

        public init(now: Date, window: SendingWindow.State, windowZone: String, cooldownSeconds: Int,
                    quotaRemaining: Int, dailyQuota: Int, stepCount: Int) {
            self.now = now
            self.window = window
            self.windowZone = windowZone
            self.cooldownSeconds = cooldownSeconds
            self.quotaRemaining = quotaRemaining
            self.dailyQuota = dailyQuota
            self.stepCount = stepCount
        }
    }

    /// Judges a lead. `stepIndex` is the step it would send next (for retries, the job's step).
    public static func evaluate(dnc: Bool, dncReason: String?, stepIndex: Int, facts: ComplianceFacts,
                                context: Context) -> Verdict {
        if dnc {
            return .block(.skippedDNC, reason: "do not contact" + (dncReason.map { ": \($0)" } ?? ""))
        }
        switch facts.unsubscribe {
        case .global(let source)?:
            return .block(.skippedUnsubscribed, reason: "unsubscribed from every campaign" + (source.map { " (\($0))" } ?? ""))
        case .campaign(let source)?:
            return .block(.skippedUnsubscribed, reason: "unsubscribed from this campaign" + (source.map { " (\($0))" } ?? ""))
        case nil:
            break
        }
        if let reason = facts.emailSuppression {
            return .block(.skippedSuppressedEmail, reason: "address suppressed" + (reason.isEmpty ? "" : ": \(reason)"))
        }
        if let reason = facts.domainSuppression {
            return .block(.skippedSuppressedDomain, reason: "domain suppressed" + (reason.isEmpty ? "" : ": \(reason)"))
        }
        if case .closed(let opensAt) = context.window {
            return .postpone(.skippedWindow, until: opensAt,
                             reason: "outside the sending window in \(context.windowZone); opens \(Timestamp.format(opensAt))")
        }
        if let last = facts.lastContactAt, context.cooldownSeconds > 0 {
            let eligibleAt = last.addingTimeInterval(Double(context.cooldownSeconds))
            if context.now < eligibleAt {
                return .postpone(.skippedCooldown, until: eligibleAt,
                                 reason: "contacted \(Timestamp.format(last)); cooldown until \(Timestamp.format(eligibleAt))")
            }
        }
        if context.quotaRemaining <= 0 {
            return .quotaExhausted(reason: "daily quota of \(context.dailyQuota) used up")
        }
        guard stepIndex < context.stepCount else { return .complete }
        return .dispatch(stepIndex: stepIndex)
    }
}
