import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs each message as JSON to an HTTP email API, with an `Idempotency-Key` header (the
/// job's key, the same on every attempt) and `Authorization: Bearer <token>` from the
/// environment variable the campaign names.
///
/// 2xx is sent; 408, 429, 5xx, timeouts and connection errors are transient; other 4xx are
/// permanent, and a 4xx whose JSON body says `"error": "invalid_recipient"` (or
/// `"invalid_recipient": true`) also suppresses the address. The token never appears in an
/// error message: any echo of it is redacted.
public struct HTTPTransport: Transport {
    public let url: URL
    private let token: String?
    public let timeoutSeconds: Int

    public init(url: URL, token: String?, timeoutSeconds: Int) {
        self.url = url
        self.token = token
        self.timeoutSeconds = timeoutSeconds
    }

    public var breakerKey: String { "http:\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")" }

    /// The JSON body of a message.
    public static func body(_ message: OutgoingMessage) -> Data {
        var headers: [(String, JSONText.Value)] = [("Message-ID", .string("<\(message.messageID)>"))]
        if !message.unsubscribeTargets.isEmpty {
            headers.append(("List-Unsubscribe", .string(message.unsubscribeTargets.map { "<\($0)>" }.joined(separator: ", "))))
            if message.unsubscribeTargets.contains(where: { $0.hasPrefix("https://") }) {
                headers.append(("List-Unsubscribe-Post", .string("List-Unsubscribe=One-Click")))
            }
        }
        return Data(JSONText.write(.object([
            ("to", .string(message.to)), ("to_name", .optional(message.toName)), ("from", .string(message.from)),
            ("reply_to", .optional(message.replyTo)), ("subject", .string(message.subject)), ("text", .string(message.body)),
            ("headers", .object(headers)), ("idempotency_key", .string(message.idempotencyKey)),
        ])).utf8)
    }

    public func send(_ message: OutgoingMessage) -> SendOutcome {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: Double(timeoutSeconds))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(message.idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = Self.body(message)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeoutSeconds)
        configuration.timeoutIntervalForResource = Double(timeoutSeconds)
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let box = ResponseBox()
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response as? HTTPURLResponse, error: error)
        }
        task.resume()
        guard box.wait(seconds: timeoutSeconds + 5) else {
            task.cancel()
            return .transient("no answer from \(url.host ?? "the API") within \(timeoutSeconds)s")
        }
        let (data, response, error) = box.result()
        if let error {
            return .transient("request to \(url.host ?? "the API") failed: \(redact(error.localizedDescription))")
        }
        guard let response else { return .transient("no HTTP response from \(url.host ?? "the API")") }
        let status = response.statusCode
        let detail = redact(String(decoding: (data ?? Data()).prefix(300), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " "))
        let text = "HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        switch status {
        case 200..<300: return .sent
        case 408, 429, 500..<600: return .transient(text)
        default: return .permanent(text, invalidRecipient: Self.saysInvalidRecipient(data))
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
}

/// Carries a URLSession completion back to the waiting thread.
private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var data: Data?
    private var response: HTTPURLResponse?
    private var error: (any Error)?

    func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) {
        lock.lock()
        self.data = data
        self.response = response
        self.error = error
        lock.unlock()
        done.signal()
    }

    func wait(seconds: Int) -> Bool {
        done.wait(timeout: .now() + .seconds(seconds)) == .success
    }

    func result() -> (Data?, HTTPURLResponse?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return (data, response, error)
    }
}
