import Foundation

/// What an operator wants to know of a mailbox now (SPEC §12): today's allowance and use,
/// the warm-up day, the next allowed send, the guardrail rates and any pause. The same
/// values feed `mailbox list/show`, `status`, the metrics and `summary.md`.
public struct MailboxStatus: Sendable {
    public let stored: StoredMailbox
    public let allowanceToday: Int
    public let sentToday: Int
    public let warmupDay: Int?
    /// When it may send next: now when ready, the gap's end, the next day, nil when paused.
    public let nextSendAt: Date?
    public let reputation: ReputationCounts

    public static func make(_ db: any SQLConnection, _ stored: StoredMailbox, now: Date) throws -> MailboxStatus {
        let day = stored.mailbox.day(of: now)
        let next: Date? = switch stored.availability(at: now) {
        case .ready: StoredMailbox.wholeSecond(now)
        case .gap(let until): until
        case .cap(let until, _): max(until, stored.nextSendAt ?? until)
        case .paused: nil
        }
        return MailboxStatus(
            stored: stored, allowanceToday: stored.allowance(at: now), sentToday: stored.sent(on: day),
            warmupDay: stored.mailbox.warmup == nil ? nil : Mailbox.warmupDay(day, firstSendDay: stored.firstSendDay),
            nextSendAt: next, reputation: try ReputationGuard.mailboxCounts(db, stored, now: now))
    }

    public var address: String { stored.address }

    /// snake_case keys, as every JSON output of outreach.
    public var json: JSONText.Value {
        let mailbox = stored.mailbox
        let guardrails = mailbox.effectiveGuardrails
        return .object([
            ("address", .string(address)), ("status", .string(stored.status.rawValue)),
            ("status_reason", stored.statusReason.map(JSONText.Value.string) ?? .null), ("auto_paused", .bool(stored.autoPaused)),
            ("timezone", .string(mailbox.timezone)), ("daily_cap", .int(Int64(mailbox.dailyCap))),
            ("warmup", mailbox.warmup.map { .object([("start", .int(Int64($0.start))), ("increase", .int(Int64($0.increase)))]) } ?? .null),
            ("warmup_day", warmupDay.map { .int(Int64($0)) } ?? .null),
            ("allowance_today", .int(Int64(allowanceToday))), ("sent_today", .int(Int64(sentToday))),
            ("remaining_today", .int(Int64(max(0, allowanceToday - sentToday)))),
            ("min_gap", .string(DurationText.format(mailbox.minGapSeconds))), ("jitter", .string(DurationText.format(mailbox.jitterSeconds))),
            ("last_send_at", stored.lastSendAt.map { .string(Timestamp.format($0)) } ?? .null),
            ("next_send_at", nextSendAt.map { .string(Timestamp.format($0)) } ?? .null),
            ("sends_in_window", .int(Int64(reputation.sends))), ("hard_bounces", .int(Int64(reputation.hardBounces))),
            ("complaints", .int(Int64(reputation.complaints))),
            ("hard_bounce_rate", .double(reputation.hardBounceRate)), ("complaint_rate", .double(reputation.complaintRate)),
            ("guardrails", .object([
                ("hard_bounce_rate", .double(guardrails.hardBounceRate)), ("complaint_rate", .double(guardrails.complaintRate)),
                ("min_sends", .int(Int64(guardrails.minSends))), ("window", .string(DurationText.format(guardrails.windowSeconds))),
            ])),
        ])
    }

    /// One line for summaries: `ada@example.com: 12/40 today (warm-up day 3), next send 14:09:00Z, bounces 1.2 %, complaints 0 %`.
    public var line: String {
        var text = "\(address): \(sentToday)/\(allowanceToday) today"
        if let warmupDay { text += " (warm-up day \(warmupDay))" }
        if stored.status == .paused {
            text += ", paused" + (stored.statusReason.map { " (\($0))" } ?? "")
        } else if let nextSendAt {
            text += ", next send \(Timestamp.format(nextSendAt))"
        }
        text += ", hard bounces \(Guardrails.percent(reputation.hardBounceRate)), complaints \(Guardrails.percent(reputation.complaintRate))"
            + " of \(reputation.sends) sends in the window"
        return text
    }
}
