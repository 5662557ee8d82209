import Foundation
import Testing
@testable import OutreachCore

/// The pure rules: windows, eligibility order, backoff, timestamps, durations, addresses.
@Suite("Rules")
struct RulesTests {
    let weekdays = SendingWindow(.init(days: [.mon, .tue, .wed, .thu, .fri], startMinute: 540, endMinute: 1020, recipientTimezone: false))

    @Test("a window is open inside its hours and otherwise names its next opening, across weekends")
    func windowStates() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        // Monday 10:00 New York.
        #expect(weekdays.state(at: Timestamp.parse("2026-11-23T15:00:00Z")!, in: newYork)
            == .open(closesAt: Timestamp.parse("2026-11-23T22:00:00Z")!))
        // Friday 18:00 New York → Monday 09:00.
        #expect(weekdays.state(at: Timestamp.parse("2026-11-27T23:00:00Z")!, in: newYork)
            == .closed(opensAt: Timestamp.parse("2026-11-30T14:00:00Z")!))
        // Monday 08:59:59 → same day 09:00.
        #expect(weekdays.state(at: Timestamp.parse("2026-11-23T13:59:59Z")!, in: newYork)
            == .closed(opensAt: Timestamp.parse("2026-11-23T14:00:00Z")!))
    }

    @Test("a window keeps local hours across a daylight-saving change")
    func windowAcrossDST() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        // Saturday 2026-03-07; DST starts Sunday 03-08; Monday 09:00 EDT is 13:00 UTC.
        #expect(weekdays.state(at: Timestamp.parse("2026-03-07T12:00:00Z")!, in: newYork)
            == .closed(opensAt: Timestamp.parse("2026-03-09T13:00:00Z")!))
    }

    @Test("eligibility checks DNC, unsubscribe, suppression, window, cooldown, quota and steps in that order")
    func eligibilityOrder() {
        let now = Timestamp.parse("2026-11-23T15:00:00Z")!
        let context = Eligibility.Context(now: now, window: .open(closesAt: now.addingTimeInterval(3600)), windowZone: "UTC",
                                          cooldownSeconds: 86_400, quotaRemaining: 5, dailyQuota: 10, stepCount: 3)
        var everything = ComplianceFacts(unsubscribe: .global(source: nil), emailSuppression: "", domainSuppression: "",
                                         lastContactAt: now.addingTimeInterval(-60))
        func kind(_ verdict: Verdict) -> String {
            switch verdict {
            case .block(let kind, _), .postpone(let kind, _, _): kind.rawValue
            case .quotaExhausted: "quota"
            case .complete: "complete"
            case .dispatch(let index): "dispatch \(index)"
            }
        }
        #expect(kind(Eligibility.evaluate(dnc: true, dncReason: nil, stepIndex: 0, facts: everything, context: context)) == "skipped_dnc")
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: context)) == "skipped_unsubscribed")
        everything.unsubscribe = nil
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: context)) == "skipped_suppressed_email")
        everything.emailSuppression = nil
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: context)) == "skipped_suppressed_domain")
        everything.domainSuppression = nil
        var closed = context
        closed.window = .closed(opensAt: now.addingTimeInterval(600))
        #expect(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: closed)
            == .postpone(.skippedWindow, until: now.addingTimeInterval(600), reason: "outside the sending window in UTC; opens 2026-11-23T15:10:00Z"))
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: context)) == "skipped_cooldown")
        everything.lastContactAt = nil
        var empty = context
        empty.quotaRemaining = 0
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 0, facts: everything, context: empty)) == "quota")
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 3, facts: everything, context: context)) == "complete")
        #expect(kind(Eligibility.evaluate(dnc: false, dncReason: nil, stepIndex: 1, facts: everything, context: context)) == "dispatch 1")
    }

    @Test("backoff is 300 s × 2^(attempt−1) within ±10 %, capped, deterministic, and dead after the last attempt")
    func backoff() {
        let policy = BackoffPolicy(baseSeconds: 300, capSeconds: 3600, maxAttempts: 4)
        #expect((1...6).map(policy.nominalDelay(afterAttempt:)) == [300, 600, 1200, 2400, 3600, 3600])
        let now = Date(timeIntervalSince1970: 1_000_000)
        for attempt in 1...3 {
            let delay = policy.delay(afterAttempt: attempt, key: "1:2:intro:0")
            let nominal = Double(policy.nominalDelay(afterAttempt: attempt))
            #expect(Double(delay) >= nominal * 0.9 && Double(delay) <= nominal * 1.1)
            #expect(delay == policy.delay(afterAttempt: attempt, key: "1:2:intro:0"), "same key, same delay")
            #expect(policy.next(afterFailedAttempt: attempt, key: "1:2:intro:0", now: now) == .retry(at: now.addingTimeInterval(Double(delay))))
        }
        #expect(policy.next(afterFailedAttempt: 4, key: "k", now: now) == .dead)
        // Jitter differs between keys, and never exceeds the cap.
        let delays = Set((0..<20).map { policy.delay(afterAttempt: 1, key: "k\($0)") })
        #expect(delays.count > 5)
        #expect((0..<50).allSatisfy { policy.delay(afterAttempt: 9, key: "k\($0)") <= 3600 })
    }

    @Test("timestamps format as ISO 8601 UTC and parse offsets, fractions and bare dates")
    func timestamps() {
        let instant = Date(timeIntervalSince1970: 1_795_269_900)
        #expect(Timestamp.format(instant) == "2026-11-21T14:05:00Z")
        #expect(Timestamp.parse("2026-11-21T14:05:00Z") == instant)
        #expect(Timestamp.parse("2026-11-21T15:05:00+01:00") == instant)
        #expect(Timestamp.parse("2026-11-21T14:05:00.750Z") == instant)
        #expect(Timestamp.parse("2026-11-21") == Timestamp.parse("2026-11-21T00:00:00Z"))
        for bad in ["2026-13-01", "2026-02-30", "yesterday", "2026-11-21T25:00:00Z", "2026-11-21T14:05:00"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(QuotaDay.of(Timestamp.parse("2026-11-24T03:00:00Z")!, in: TimeZone(identifier: "America/New_York")!) == "2026-11-23")
    }

    @Test("durations need a unit", arguments: [("300s", 300), ("30m", 1800), ("24h", 86_400), ("7d", 604_800), ("1h30m", 5400), ("0h", 0)])
    func durations(text: String, seconds: Int) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test("durations without a unit or with junk are refused", arguments: ["72", "1 day", "h", "-5s", "5x", ""])
    func badDurations(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }

    @Test("addresses are normalized and conservative", arguments: [
        ("ada@example.com", true), ("a.b+tag@sub.example.co.uk", true), ("no-at.example.com", false), ("a@b@c.com", false),
        ("a..b@example.com", false), ("a@localhost", false), ("a b@example.com", false), ("a@exa_mple.com", false),
        ("\"q\"@example.com", false), ("a@-x.com", false),
    ])
    func emails(address: String, valid: Bool) {
        #expect((EmailAddress.problem(EmailAddress.normalize(address)) == nil) == valid)
        #expect(EmailAddress.normalize("  Ada@Example.COM ") == "ada@example.com")
    }

    @Test("templates render plain text, refuse missing variables and allow optional sections")
    func templates() throws {
        let template = try MessageTemplate("Hi {{first_name}} <{{company}}>{{#title}}, {{title}}{{/title}}")
        #expect(try template.render(["first_name": "Ada", "company": "A&B"]).get() == "Hi Ada <A&B>")
        #expect(try template.render(["first_name": "Ada", "company": "A", "title": "CEO"]).get() == "Hi Ada <A>, CEO")
        #expect(template.render(["company": "A"]) == .failure(MissingVariable(name: "first_name")))
        #expect(template.render(["first_name": "", "company": "A"]) == .failure(MissingVariable(name: "first_name")))
        #expect(MessageTemplate.problem("{{> partial}}") != nil)
        #expect(MessageTemplate.problem("{{#open}}") != nil)
    }
}

/// The plain-substitution fast path of templates renders exactly what swift-mustache does.
@Suite("Template fast path")
struct TemplateFastPathTests {
    @Test("plain templates render the same through both paths", arguments: [
        "Hi {{first_name}},\n\n{{ company }} and {{first_name}} again.\n",
        "{{first_name}}", "no tags at all", "  {{first_name}}  \n{{company}}\n", "Ünïcode {{first_name}} ✓",
    ])
    func samePath(text: String) throws {
        let template = try MessageTemplate(text)
        let values = ["first_name": "Ada & <Bob>", "company": "Acme \"Co\""]
        #expect(template.render(values) == template.renderWithMustache(values))
        #expect(template.render(["company": "x"]) == template.renderWithMustache(["company": "x"]))
    }
}
