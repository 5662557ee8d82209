import Foundation
import Yams

/// The sections of a campaign file, each validated with its defaults.
extension YAMLReader {
    func campaign(_ root: Node) throws -> Campaign {
        let map = try mapping(root, "", allowed: [
            "slug", "name", "timezone", "sender", "limits", "window", "retry", "transport",
            "unsubscribe", "circuit_breaker", "events", "steps", "guardrails",
        ])
        let slug = try requiredString(map, "slug", "", parent: root)
        guard Slug.isValid(slug) else {
            throw fail(map["slug"], "slug", "'\(EmailAddress.printable(slug))' is not a valid slug; use 1 to 64 characters from a-z, 0-9 and -.")
        }
        let name = try requiredString(map, "name", "", parent: root)
        let timezone = try timeZone(map["timezone"], try requiredString(map, "timezone", "", parent: root), "timezone")
        guard let senderNode = map["sender"] else { throw fail(root, "sender", "is required.") }
        let steps = try self.steps(map["steps"], root)
        return Campaign(
            slug: slug,
            name: name,
            timezone: timezone,
            sender: try sender(senderNode),
            limits: try limits(map["limits"]),
            window: try window(map["window"]),
            retry: try retry(map["retry"]),
            transport: try transport(map["transport"]),
            unsubscribe: try unsubscribe(map["unsubscribe"], root, steps: steps),
            circuitBreaker: try breaker(map["circuit_breaker"]),
            events: try events(map["events"]),
            steps: steps,
            guardrails: try map["guardrails"].map { try guardrails($0, path: "guardrails") })
    }

    func sender(_ node: Node) throws -> Campaign.Sender {
        let map = try mapping(node, "sender", allowed: ["from", "reply_to", "postal_address"])
        let from = try senders(map["from"], parent: node)
        let replyTo = try string(map, "reply_to", "sender")
        if let replyTo, MailboxText.parse(replyTo) == nil {
            throw fail(map["reply_to"], "sender.reply_to", "'\(EmailAddress.printable(replyTo))' is not an email address.")
        }
        let postal = try requiredString(map, "postal_address", "sender", parent: node)
        guard !postal.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw fail(map["postal_address"], "sender.postal_address", "must not be empty; the law requires it in every message.")
        }
        return .init(from: from, replyTo: replyTo, postalAddress: postal)
    }

    /// `sender.from`: one mailbox, or a list of them (SPEC §12); the same address twice is refused.
    func senders(_ node: Node?, parent: Node) throws -> [String] {
        guard let node, node.null == nil else { throw fail(parent, "sender.from", "is required.") }
        let items: [(Node, String)]
        switch node {
        case .scalar(let scalar): items = [(node, scalar.string)]
        case .sequence(let sequence) where !sequence.isEmpty:
            items = try sequence.map { item in
                guard case .scalar(let scalar) = item else { throw fail(item, "sender.from", "every item must be an address.") }
                return (item, scalar.string)
            }
        default:
            throw fail(node, "sender.from", "expected an address like \"Ada Lovelace <ada@example.com>\" or a non-empty list of them.")
        }
        var seen: Set<String> = []
        return try items.map { item, from in
            guard let parsed = MailboxText.parse(from) else {
                throw fail(item, "sender.from", "'\(EmailAddress.printable(from))' is not an address like \"Ada Lovelace <ada@example.com>\".")
            }
            guard seen.insert(parsed.address).inserted else {
                throw fail(item, "sender.from", "\(parsed.address) is named twice; name each sending address once.")
            }
            return from
        }
    }

    func limits(_ node: Node?) throws -> Campaign.Limits {
        guard let node else {
            return .init(perTick: CampaignFile.Defaults.perTick, dailyQuota: CampaignFile.Defaults.dailyQuota,
                         cooldownSeconds: CampaignFile.Defaults.cooldownSeconds)
        }
        let map = try mapping(node, "limits", allowed: ["per_tick", "daily_quota", "cooldown"])
        return .init(
            perTick: try int(map, "per_tick", "limits", default: CampaignFile.Defaults.perTick, minimum: 0),
            dailyQuota: try int(map, "daily_quota", "limits", default: CampaignFile.Defaults.dailyQuota, minimum: 0),
            cooldownSeconds: try duration(map, "cooldown", "limits", default: CampaignFile.Defaults.cooldownSeconds))
    }

    func window(_ node: Node?) throws -> Campaign.Window {
        guard let node else {
            return .init(days: CampaignFile.Defaults.days, startMinute: CampaignFile.Defaults.startMinute,
                         endMinute: CampaignFile.Defaults.endMinute, recipientTimezone: false)
        }
        let map = try mapping(node, "window", allowed: ["days", "start", "end", "recipient_timezone", "skip_dates"])
        var days = CampaignFile.Defaults.days
        if let daysNode = map["days"] {
            guard case .sequence(let sequence) = daysNode, !sequence.isEmpty else {
                throw fail(daysNode, "window.days", "expected a non-empty list like [mon, tue, wed, thu, fri].")
            }
            days = try sequence.map { dayNode in
                guard let text = dayNode.string, let day = Campaign.Weekday(rawValue: text.lowercased()) else {
                    throw fail(dayNode, "window.days", "'\(dayNode.string ?? "?")' is not a day; use mon, tue, wed, thu, fri, sat or sun.")
                }
                return day
            }
            days = Array(Set(days)).sorted()
        }
        let start = try clockTime(map, "start", default: CampaignFile.Defaults.startMinute)
        let end = try clockTime(map, "end", default: CampaignFile.Defaults.endMinute)
        guard start < end else {
            throw fail(map["end"] ?? node, "window.end", "must be later than window.start (windows over midnight are not supported).")
        }
        return .init(days: days, startMinute: start, endMinute: end,
                     recipientTimezone: try bool(map, "recipient_timezone", "window", default: false),
                     skipDates: try skipDates(map["skip_dates"]))
    }

    /// `window.skip_dates`: blackout days as `YYYY-MM-DD`; nil when absent or empty.
    func skipDates(_ node: Node?) throws -> [String]? {
        guard let node else { return nil }
        guard case .sequence(let items) = node else {
            throw fail(node, "window.skip_dates", "expected a list of dates like [2026-12-24, 2026-12-25].")
        }
        let dates = try items.map { item in
            let text = item.string ?? ""
            guard text.utf8.count == 10, let date = Timestamp.parse(text + "T00:00:00Z"), Timestamp.utcDay(date) == text else {
                throw fail(item, "window.skip_dates", "'\(EmailAddress.printable(text))' is not a date; write it as YYYY-MM-DD, like 2026-12-24.")
            }
            return text
        }
        return dates.isEmpty ? nil : Array(Set(dates)).sorted()
    }

    func clockTime(_ map: [String: Node], _ key: String, default value: Int) throws -> Int {
        guard let node = map[key] else { return value }
        let text = node.string ?? ""
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), parts[1].count == 2,
              (0...24).contains(hour), (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
        else { throw fail(node, "window.\(key)", "'\(text)' is not a time; write it as HH:MM, like \"09:00\".") }
        return hour * 60 + minute
    }

    func retry(_ node: Node?) throws -> Campaign.RetrySettings {
        guard let node else {
            return .init(maxAttempts: CampaignFile.Defaults.maxAttempts, baseSeconds: CampaignFile.Defaults.baseSeconds,
                         capSeconds: CampaignFile.Defaults.capSeconds)
        }
        let map = try mapping(node, "retry", allowed: ["max_attempts", "base", "cap"])
        let settings = Campaign.RetrySettings(
            maxAttempts: try int(map, "max_attempts", "retry", default: CampaignFile.Defaults.maxAttempts, minimum: 1),
            baseSeconds: try duration(map, "base", "retry", default: CampaignFile.Defaults.baseSeconds),
            capSeconds: try duration(map, "cap", "retry", default: CampaignFile.Defaults.capSeconds))
        guard settings.baseSeconds >= 1 else { throw fail(map["base"], "retry.base", "must be at least 1s.") }
        guard settings.capSeconds >= settings.baseSeconds else { throw fail(map["cap"], "retry.cap", "must not be shorter than retry.base.") }
        return settings
    }

    func transport(_ node: Node?) throws -> Campaign.TransportSettings {
        guard let node else { return .proof }
        let map = try mapping(node, "transport", allowed: ["kind", "command", "url", "token_env", "timeout", "env", "idempotency_window"])
        let kind = try requiredString(map, "kind", "transport", parent: node)
        let timeout = try duration(map, "timeout", "transport", default: CampaignFile.Defaults.transportTimeoutSeconds)
        func refuse(_ keys: [String]) throws {
            for key in keys where map[key] != nil {
                throw fail(map[key], "transport.\(key)", "does not apply to transport kind \(kind).")
            }
        }
        switch kind {
        case "proof":
            try refuse(["command", "url", "token_env", "timeout", "env", "idempotency_window"])
            return .proof
        case "sendmail":
            try refuse(["url", "token_env", "idempotency_window"])
            guard let commandNode = map["command"], case .sequence(let parts) = commandNode, !parts.isEmpty else {
                throw fail(map["command"] ?? node, "transport.command", "is required for sendmail: a list like [/usr/sbin/sendmail, -t, -oi].")
            }
            let command = try parts.map { part in
                guard let text = part.string, !text.isEmpty else { throw fail(part, "transport.command", "every item must be text.") }
                return text
            }
            return .sendmail(command: command, timeoutSeconds: timeout, env: try childEnvironment(map["env"]))
        case "http":
            try refuse(["command", "env"])
            let url = try requiredString(map, "url", "transport", parent: node)
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw fail(map["url"], "transport.url", "'\(url)' is not an http(s) URL.")
            }
            let tokenEnv = try string(map, "token_env", "transport")
            if let tokenEnv { try envName(map["token_env"], tokenEnv, "transport.token_env") }
            let window = try duration(map, "idempotency_window", "transport", default: CampaignFile.Defaults.idempotencyWindowSeconds)
            return .http(url: url, tokenEnv: tokenEnv, timeoutSeconds: timeout, idempotencyWindowSeconds: window)
        default:
            throw fail(map["kind"], "transport.kind", "'\(kind)' is not a transport; use proof, sendmail or http.")
        }
    }

    /// `transport.env`: names of variables the sendmail command may see besides the allow-list.
    /// `OUTREACH_*` variables are never passed on (SPEC §9.3), so naming one is refused.
    func childEnvironment(_ node: Node?) throws -> [String] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else {
            throw fail(node, "transport.env", "expected a list of environment variable names, like [MSMTP_ACCOUNT].")
        }
        return try items.map { item in
            let name = item.string ?? ""
            try envName(item, name, "transport.env")
            guard !name.hasPrefix("OUTREACH_") else {
                throw fail(item, "transport.env", "'\(name)': OUTREACH_* variables are never passed to a child process.")
            }
            return name
        }
    }

    func envName(_ node: Node?, _ name: String, _ path: String) throws {
        let valid = !name.isEmpty && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        guard valid, !(name.first?.isNumber ?? true) else {
            throw fail(node, path, "'\(name)' is not an environment variable name; name the variable (like OUTREACH_TOKEN), never the secret itself.")
        }
    }

    func unsubscribe(_ node: Node?, _ root: Node, steps: [Campaign.Step]) throws -> Campaign.UnsubscribeSettings {
        guard let node else {
            throw fail(root, "unsubscribe", "is required: give a url (https, with {{token}}) and/or a mailto address.")
        }
        let map = try mapping(node, "unsubscribe", allowed: ["url", "mailto", "secret_env", "previous_secret_env", "scope"])
        let url = try string(map, "url", "unsubscribe")
        let mailto = try string(map, "mailto", "unsubscribe")
        let secretEnv = try string(map, "secret_env", "unsubscribe")
        let previousSecretEnv = try string(map, "previous_secret_env", "unsubscribe")
        var scope: Campaign.UnsubscribeSettings.Scope?
        if let text = try string(map, "scope", "unsubscribe") {
            guard let value = Campaign.UnsubscribeSettings.Scope(rawValue: text) else {
                throw fail(map["scope"], "unsubscribe.scope", "'\(text)' must be global (every campaign, the default) or campaign.")
            }
            // The default is stored as nil, so campaigns approved before the key existed keep their approval.
            scope = value == .global ? nil : value
        }
        guard url != nil || mailto != nil else {
            throw fail(node, "unsubscribe", "needs a url, a mailto, or both.")
        }
        if let url {
            guard url.lowercased().hasPrefix("https://"), URL(string: url.replacingOccurrences(of: "{{token}}", with: "t")) != nil else {
                throw fail(map["url"], "unsubscribe.url", "'\(url)' must be an https URL.")
            }
            guard url.contains("{{token}}") else {
                throw fail(map["url"], "unsubscribe.url", "must contain {{token}}, where the signed unsubscribe token goes.")
            }
            guard let secretEnv else {
                throw fail(node, "unsubscribe.secret_env", "is required with a url: name the environment variable that holds the token secret.")
            }
            try envName(map["secret_env"], secretEnv, "unsubscribe.secret_env")
            if let previousSecretEnv {
                try envName(map["previous_secret_env"], previousSecretEnv, "unsubscribe.previous_secret_env")
                guard previousSecretEnv != secretEnv else {
                    throw fail(map["previous_secret_env"], "unsubscribe.previous_secret_env", "names the same variable as secret_env; name the variable that held the secret before the rotation.")
                }
            }
        } else if previousSecretEnv != nil {
            throw fail(map["previous_secret_env"], "unsubscribe.previous_secret_env", "only means something with a url (the signed link).")
        }
        if let mailto, EmailAddress.problem(EmailAddress.normalize(mailto)) != nil {
            throw fail(map["mailto"], "unsubscribe.mailto", "'\(EmailAddress.printable(mailto))' is not an email address.")
        }
        return .init(url: url, mailto: mailto, secretEnv: secretEnv, previousSecretEnv: previousSecretEnv, scope: scope)
    }

    func breaker(_ node: Node?) throws -> Campaign.BreakerSettings {
        guard let node else {
            return .init(failureThreshold: CampaignFile.Defaults.breakerFailures, cooldownSeconds: CampaignFile.Defaults.breakerCooldownSeconds)
        }
        let map = try mapping(node, "circuit_breaker", allowed: ["failures", "cooldown"])
        return .init(
            failureThreshold: try int(map, "failures", "circuit_breaker", default: CampaignFile.Defaults.breakerFailures, minimum: 1),
            cooldownSeconds: try duration(map, "cooldown", "circuit_breaker", default: CampaignFile.Defaults.breakerCooldownSeconds))
    }

    func events(_ node: Node?) throws -> Campaign.EventSettings {
        guard let node else { return .init(autoReplyDelaySeconds: CampaignFile.Defaults.autoReplyDelaySeconds) }
        let map = try mapping(node, "events", allowed: ["auto_reply_delay"])
        return .init(autoReplyDelaySeconds: try duration(map, "auto_reply_delay", "events", default: CampaignFile.Defaults.autoReplyDelaySeconds))
    }

    func steps(_ node: Node?, _ root: Node) throws -> [Campaign.Step] {
        guard let node else { throw fail(root, "steps", "is required: a list of steps with id, delay, subject and body.") }
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw fail(node, "steps", "expected a non-empty list of steps.")
        }
        var seen = Set<String>()
        return try sequence.enumerated().map { index, stepNode in
            let path = "steps[\(index)]"
            let map = try mapping(stepNode, path, allowed: ["id", "delay", "subject", "body"])
            let id = try requiredString(map, "id", path, parent: stepNode)
            guard Slug.isValidStepID(id) else {
                throw fail(map["id"], "\(path).id", "'\(EmailAddress.printable(id))' is not a step id; use 1 to 64 characters from a-z, 0-9, - and _.")
            }
            guard seen.insert(id).inserted else { throw fail(map["id"], "\(path).id", "'\(id)' is used by an earlier step; step ids must be unique.") }
            // A step without a subject replies in the lead's thread; the first has nothing to reply to.
            let subject = try string(map, "subject", path)
            if subject == nil, index == 0 {
                throw fail(stepNode, "\(path).subject", "is required on the first step (later steps without one reply in its thread).")
            }
            let body = try requiredString(map, "body", path, parent: stepNode)
            for (key, text) in [("subject", subject), ("body", body)] {
                guard let text else { continue }
                if let problem = MessageTemplate.problem(text) {
                    throw fail(map[key], "\(path).\(key)", "the template does not parse: \(problem).")
                }
            }
            return .init(id: id, delaySeconds: try duration(map, "delay", path, default: 0), subject: subject, body: body)
        }
    }
}
