import Foundation

/// Reading the stored campaign definition without `JSONDecoder`: every tick starts by
/// reading it, and Codable's generic machinery costs a millisecond of start-up on Linux
/// (measured by `make bench`). The format is the one `canonicalJSON()` writes; anything else
/// is refused with a message that says to re-apply the campaign file.
extension Campaign {
    /// Reads a campaign back from its stored canonical JSON.
    public static func fromStoredJSON(_ json: String) throws -> Campaign {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let campaign = StoredJSON(root).campaign()
        else {
            throw OutreachError.unexpected("A stored campaign definition cannot be read; re-apply its campaign file.")
        }
        return campaign
    }
}

/// A thin reader over `JSONSerialization` objects.
private struct StoredJSON {
    let object: [String: Any]

    init(_ object: [String: Any]) {
        self.object = object
    }

    func child(_ key: String) -> StoredJSON? {
        (object[key] as? [String: Any]).map(StoredJSON.init)
    }

    func string(_ key: String) -> String? { object[key] as? String }
    func int(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue ?? (object[key] as? Int) }
    func bool(_ key: String) -> Bool? { (object[key] as? NSNumber)?.boolValue ?? (object[key] as? Bool) }

    func campaign() -> Campaign? {
        guard let slug = string("slug"), let name = string("name"), let timezone = string("timezone"),
              let sender = child("sender"), let from = sender.string("from").map({ [$0] }) ?? (sender.object["from"] as? [String]), let postal = sender.string("postal_address"),
              let limits = child("limits"), let perTick = limits.int("per_tick"), let dailyQuota = limits.int("daily_quota"),
              let cooldown = limits.int("cooldown_seconds"),
              let window = child("window"), let dayNames = window.object["days"] as? [String],
              let start = window.int("start_minute"), let end = window.int("end_minute"),
              let recipientZone = window.bool("recipient_timezone"),
              let retry = child("retry"), let attempts = retry.int("max_attempts"), let base = retry.int("base_seconds"),
              let cap = retry.int("cap_seconds"),
              let transport = transport(), let unsubscribe = child("unsubscribe"),
              let breaker = child("circuit_breaker"), let threshold = breaker.int("failure_threshold"),
              let breakerCooldown = breaker.int("cooldown_seconds"),
              let events = child("events"), let autoReply = events.int("auto_reply_delay_seconds"),
              let stepObjects = object["steps"] as? [[String: Any]]
        else { return nil }
        let days = dayNames.compactMap(Campaign.Weekday.init(rawValue:))
        let steps = stepObjects.compactMap { step -> Campaign.Step? in
            let reader = StoredJSON(step)
            guard let id = reader.string("id"), let delay = reader.int("delay_seconds"), let body = reader.string("body") else { return nil }
            return Campaign.Step(id: id, delaySeconds: delay, subject: reader.string("subject"), body: body)
        }
        guard days.count == dayNames.count, steps.count == stepObjects.count else { return nil }
        return Campaign(
            slug: slug, name: name, timezone: timezone,
            sender: .init(from: from, replyTo: sender.string("reply_to"), postalAddress: postal),
            limits: .init(perTick: perTick, dailyQuota: dailyQuota, cooldownSeconds: cooldown),
            window: .init(days: days, startMinute: start, endMinute: end, recipientTimezone: recipientZone,
                          skipDates: window.object["skip_dates"] as? [String]),
            retry: .init(maxAttempts: attempts, baseSeconds: base, capSeconds: cap),
            transport: transport,
            unsubscribe: .init(url: unsubscribe.string("url"), mailto: unsubscribe.string("mailto"),
                               secretEnv: unsubscribe.string("secret_env"),
                               previousSecretEnv: unsubscribe.string("previous_secret_env"),
                               scope: unsubscribe.string("scope").flatMap(Campaign.UnsubscribeSettings.Scope.init(rawValue:))),
            circuitBreaker: .init(failureThreshold: threshold, cooldownSeconds: breakerCooldown),
            events: .init(autoReplyDelaySeconds: autoReply),
            steps: steps,
            guardrails: child("guardrails").flatMap { Guardrails(stored: $0.object) })
    }

    /// Codable's encoding of an enum with associated values: `{"case": {labels...}}`.
    private func transport() -> Campaign.TransportSettings? {
        guard let transport = child("transport") else { return nil }
        if transport.child("proof") != nil { return .proof }
        if let sendmail = transport.child("sendmail"), let command = sendmail.object["command"] as? [String],
           let timeout = sendmail.int("timeout_seconds") {
            return .sendmail(command: command, timeoutSeconds: timeout, env: sendmail.object["env"] as? [String] ?? [])
        }
        if let http = transport.child("http"), let url = http.string("url"), let timeout = http.int("timeout_seconds") {
            return .http(url: url, tokenEnv: http.string("token_env"), timeoutSeconds: timeout,
                         idempotencyWindowSeconds: http.int("idempotency_window_seconds") ?? CampaignFile.Defaults.idempotencyWindowSeconds)
        }
        return nil
    }
}
