import Foundation

/// When a campaign or a mailbox is paused for its sender reputation (SPEC §12): hard-bounce
/// and complaint rates over a window, once enough was sent for the rates to mean something.
///
/// The same thresholds apply per campaign (its file's `guardrails`) and per mailbox (the
/// mailbox file's); the defaults are the SPEC's, close to what Woodpecker and Smartlead use.
public struct Guardrails: Codable, Sendable, Equatable {
    /// A fraction: 0.05 is 5 %.
    public var hardBounceRate: Double
    /// A fraction: 0.003 is 0.3 %.
    public var complaintRate: Double
    /// Sends in the window below which nothing is paused.
    public var minSends: Int
    public var windowSeconds: Int

    public init(hardBounceRate: Double, complaintRate: Double, minSends: Int, windowSeconds: Int) {
        self.hardBounceRate = hardBounceRate
        self.complaintRate = complaintRate
        self.minSends = minSends
        self.windowSeconds = windowSeconds
    }

    /// Reads the stored form (snake_case keys, as the canonical campaign JSON and the
    /// `mailboxes.guardrails` column keep it) without `JSONDecoder`.
    init?(stored object: [String: Any]) {
        guard let bounce = (object["hard_bounce_rate"] as? NSNumber)?.doubleValue,
              let complaint = (object["complaint_rate"] as? NSNumber)?.doubleValue,
              let minSends = (object["min_sends"] as? NSNumber)?.intValue,
              let window = (object["window_seconds"] as? NSNumber)?.intValue
        else { return nil }
        self.init(hardBounceRate: bounce, complaintRate: complaint, minSends: minSends, windowSeconds: window)
    }

    /// `{ hard_bounce_rate: 5%, complaint_rate: 0.3%, min_sends: 50, window: 7d }`.
    public static let defaults = Guardrails(hardBounceRate: 0.05, complaintRate: 0.003, minSends: 50, windowSeconds: 7 * 86_400)

    /// Where the window starts at `now`: its length back, or the last resume if later.
    public func windowStart(now: Date, since resume: Date?) -> Date {
        let start = now.addingTimeInterval(-Double(windowSeconds))
        guard let resume, resume > start else { return start }
        return resume
    }

    /// The verdict on what was counted: the reason to pause, naming the rates, or nil.
    /// Nothing trips below `minSends`, and a rate needs at least one event to be reached.
    public func breach(_ counts: ReputationCounts) -> String? {
        guard counts.sends >= minSends, counts.sends > 0 else { return nil }
        let bounce = Double(counts.hardBounces) / Double(counts.sends)
        let complaint = Double(counts.complaints) / Double(counts.sends)
        let bounceReached = counts.hardBounces > 0 && bounce >= hardBounceRate
        let complaintReached = counts.complaints > 0 && complaint >= complaintRate
        guard bounceReached || complaintReached else { return nil }
        var parts: [String] = []
        if bounceReached {
            parts.append("hard-bounce rate \(Self.percent(bounce)) (\(counts.hardBounces) of \(counts.sends) sends) reached the \(Self.percent(hardBounceRate)) limit")
        }
        if complaintReached {
            parts.append("complaint rate \(Self.percent(complaint)) (\(counts.complaints) of \(counts.sends) sends) reached the \(Self.percent(complaintRate)) limit")
        }
        return "auto-paused: " + parts.joined(separator: " and ") + " over \(DurationText.format(windowSeconds))"
    }

    /// A fraction as a percentage with up to two decimals: 0.003 → "0.3%".
    public static func percent(_ fraction: Double) -> String {
        var text = String(format: "%.2f", fraction * 100)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + "%"
    }
}

/// Sends, hard bounces and complaints counted over a guardrail window.
public struct ReputationCounts: Sendable, Equatable {
    public var sends: Int
    public var hardBounces: Int
    public var complaints: Int

    public init(sends: Int, hardBounces: Int, complaints: Int) {
        self.sends = sends
        self.hardBounces = hardBounces
        self.complaints = complaints
    }

    public var hardBounceRate: Double { sends == 0 ? 0 : Double(hardBounces) / Double(sends) }
    public var complaintRate: Double { sends == 0 ? 0 : Double(complaints) / Double(sends) }
}
