import Foundation

/// POSTs each message as JSON to an HTTP email API, with an `Idempotency-Key` header (the
/// job's key, the same on every attempt) and `Authorization: Bearer <token>` from the
/// environment variable the campaign names.
///
/// 2xx is sent; 408, 429, 5xx and a connection that could not be opened are transient; other
/// 4xx are permanent, and a 4xx whose JSON body says `"error": "invalid_recipient"` (or
/// `"invalid_recipient": true`) also suppresses the address. A request that went out but got
/// no answer (a timeout, a dropped connection, a worker that died) is `unknown` (SPEC §9.1);
/// the tick may repeat it with the same `Idempotency-Key` within `idempotencyWindowSeconds`.
/// The request itself is made by the `outreach-http` worker (see its source for why); the
/// token reaches it on stdin only, and any echo of the token in an answer is redacted before
/// it becomes a job error.
public struct HTTPTransport: Transport {
    public let url: URL
    private let token: String?
    public let timeoutSeconds: Int
    public let idempotencyWindowSeconds: Int?
    private let worker: String?

    /// `worker` overrides where `outreach-http` is found (default: beside this executable,
    /// then `$OUTREACH_HTTP_WORKER`, then the PATH).
    public init(url: URL, token: String?, timeoutSeconds: Int, idempotencyWindowSeconds: Int?, worker: String? = nil) {
        self.url = url
        self.token = token
        self.timeoutSeconds = timeoutSeconds
        self.idempotencyWindowSeconds = idempotencyWindowSeconds
        self.worker = worker ?? Self.locateWorker()
    }

    public var breakerKey: String { "http:\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")" }

    /// The JSON body of a message.
    public static func body(_ message: OutgoingMessage) -> String {
        var headers: [(String, JSONText.Value)] = [("Message-ID", .string("<\(message.messageID)>"))]
        if let parent = message.inReplyTo {
            headers.append(("In-Reply-To", .string("<\(parent)>")))
            headers.append(("References", .string(message.references.map { "<\($0)>" }.joined(separator: " "))))
        }
        if !message.unsubscribeTargets.isEmpty {
            headers.append(("List-Unsubscribe", .string(message.unsubscribeTargets.map { "<\($0)>" }.joined(separator: ", "))))
            if message.unsubscribeTargets.contains(where: { $0.hasPrefix("https://") }) {
                headers.append(("List-Unsubscribe-Post", .string("List-Unsubscribe=One-Click")))
            }
        }
        return JSONText.write(.object([
            ("to", .string(message.to)), ("to_name", .optional(message.toName)), ("from", .string(message.from)),
            ("reply_to", .optional(message.replyTo)), ("subject", .string(message.subject)), ("text", .string(message.body)),
            ("headers", .object(headers)), ("idempotency_key", .string(message.idempotencyKey)),
        ]))
    }

    public func send(_ message: OutgoingMessage) -> SendOutcome {
        guard let worker else {
            return .transient("the outreach-http worker is not installed beside outreach (run `make install`, or set OUTREACH_HTTP_WORKER)")
        }
        var headers: [(String, JSONText.Value)] = [
            ("Content-Type", .string("application/json")), ("Idempotency-Key", .string(message.idempotencyKey)),
        ]
        if let token { headers.append(("Authorization", .string("Bearer \(token)"))) }
        let request = JSONText.write(.object([
            ("url", .string(url.absoluteString)), ("headers", .object(headers)), ("body", .string(Self.body(message))),
            ("timeout_seconds", .int(Int64(timeoutSeconds))),
        ]))
        let answer: ChildProcess.Result
        do {
            answer = try ChildProcess.run(worker, [], input: Data(request.utf8), environment: ["PATH": "/usr/bin:/bin"],
                                          timeout: .seconds(timeoutSeconds + 10))
        } catch {
            return .transient("cannot run \(worker): \(error.reason)")
        }
        let object = (try? JSONSerialization.jsonObject(with: answer.output)) as? [String: Any] ?? [:]
        if let error = object["error"] as? String {
            if object["not_sent"] as? Bool == true { return .transient(redact(error)) }
            return .unknown(redact(error) + "; the request may have reached the API")
        }
        guard answer.ending == .exited(0), let status = object["status"] as? Int else {
            return .unknown("the outreach-http worker ended without an answer (\(answer.ending)); the request may have reached the API")
        }
        let body = object["body"] as? String ?? ""
        let detail = redact(String(body.prefix(300)).split(whereSeparator: \.isNewline).joined(separator: " "))
        let text = "HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        switch status {
        case 200..<300: return .sent
        case 408, 429, 500..<600: return .transient(text)
        default: return .permanent(text, invalidRecipient: Self.saysInvalidRecipient(Data(body.utf8)))
        }
    }

    static func saysInvalidRecipient(_ data: Data?) -> Bool {
        guard let data, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return (object["error"] as? String) == "invalid_recipient" || (object["code"] as? String) == "invalid_recipient"
            || (object["invalid_recipient"] as? Bool) == true
    }

    private func redact(_ text: String) -> String {
        guard let token, !token.isEmpty else { return text }
        return text.replacingOccurrences(of: token, with: "[redacted]")
    }

    /// `outreach-http` beside the running executable, from `$OUTREACH_HTTP_WORKER`, or on PATH.
    static func locateWorker() -> String? {
        CompanionExecutable.locate("outreach-http", overrideVariable: "OUTREACH_HTTP_WORKER")
    }
}
