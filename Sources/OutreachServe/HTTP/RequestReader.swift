import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads HTTP/1.1 requests from one connection within fixed limits (SPEC §10, hostile
/// traffic): a header section of at most 16 KiB, a body of at most 64 KiB, and the whole
/// request within `requestTimeout` of its first byte, so a client sending a byte a second
/// is answered 408 instead of holding a worker.
struct RequestReader {
    /// The limits every connection gets.
    struct Limits: Sendable {
        var maxHeaderBytes = 16 * 1024
        var maxBodyBytes = 64 * 1024
        /// From the first byte of a request to its last.
        var requestTimeout: Duration = .seconds(10)
        /// How long a kept-alive connection may wait for its next request.
        var idleTimeout: Duration = .seconds(5)
    }

    /// What reading produced.
    enum Result {
        case request(HTTPRequest, keepAlive: Bool)
        /// The client went away or stayed silent between requests: close without answering.
        case closed
        /// A bad or oversized request: answer this, then close.
        case refused(HTTPResponse)
    }

    let fd: Int32
    let limits: Limits
    private var buffer: [UInt8] = []

    init(fd: Int32, limits: Limits) {
        self.fd = fd
        self.limits = limits
    }

    /// Reads the next request, waiting at most the idle timeout for it to start.
    mutating func next() -> Result {
        if buffer.isEmpty {
            switch fill(until: .now + limits.idleTimeout) {
            case .data: break
            case .end, .timeout, .failed: return .closed
            }
        }
        let deadline = ContinuousClock.now + limits.requestTimeout
        var searchFrom = 0
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find([13, 10, 13, 10], in: buffer, from: searchFrom)
            if headerEnd != nil { break }
            if buffer.count > limits.maxHeaderBytes { return .refused(.text(431, "The request's headers are too large.\n")) }
            searchFrom = max(0, buffer.count - 3)
            switch fill(until: deadline) {
            case .data: continue
            case .timeout: return .refused(.text(408, "The request took too long to arrive.\n"))
            case .end, .failed: return .closed
            }
        }
        guard let end = headerEnd, end <= limits.maxHeaderBytes else {
            return .refused(.text(431, "The request's headers are too large.\n"))
        }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        guard let parsed = Self.parseHead(head) else { return .refused(.text(400, "The request is malformed.\n")) }
        let headers = parsed.headers
        if headers["transfer-encoding"] != nil {
            // Only Content-Length bodies: chunked uploads are not what providers or browsers send
            // to these endpoints, and refusing them closes the request-smuggling door.
            return .refused(.text(411, "Send the body with a Content-Length.\n"))
        }
        var length = 0
        if let text = headers["content-length"] {
            guard !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text) else {
                return .refused(.text(400, "The Content-Length is not a number.\n"))
            }
            length = value
        }
        guard length <= limits.maxBodyBytes else {
            return .refused(.text(413, "The request body is larger than 64 KiB.\n"))
        }
        if length > 0, headers["expect"]?.lowercased() == "100-continue", buffer.isEmpty {
            _ = Self.writeAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        while buffer.count < length {
            switch fill(until: deadline) {
            case .data: continue
            case .timeout: return .refused(.text(408, "The request took too long to arrive.\n"))
            case .end, .failed: return .closed
            }
        }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = parsed.version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive")
        return .request(HTTPRequest(method: parsed.method, path: parsed.path, query: parsed.query, headers: headers, body: body),
                        keepAlive: keepAlive)
    }

    private enum Fill { case data, end, timeout, failed }

    /// Waits for bytes until `deadline` and appends them.
    private mutating func fill(until deadline: ContinuousClock.Instant) -> Fill {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { return .timeout }
            let milliseconds = Int32(clamping: max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 { if errno == EINTR { continue }; return .failed }
            if ready == 0 { return .timeout }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return .data
            }
            if count == 0 { return .end }
            if errno == EINTR || errno == EAGAIN { continue }
            return .failed
        }
    }

    /// Method, path, query, version and headers of a request head, or nil when malformed.
    static func parseHead(_ head: String) -> (method: String, path: String, query: String?, version: String, headers: [String: String])? {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, requestLine[2] == "HTTP/1.1" || requestLine[2] == "HTTP/1.0",
              !requestLine[0].isEmpty, requestLine[0].allSatisfy({ $0.isUppercase }),
              let target = requestLine.dropFirst().first, target.hasPrefix("/")
        else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line.first!.isWhitespace  // obsolete line folding is refused (RFC 9112 §5.2)
            else { return nil }
            let name = line[..<colon].lowercased()
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length", let existing = headers[name], existing != value { return nil }
            headers[name] = headers[name].map { name == "content-length" ? $0 : "\($0), \(value)" } ?? value
        }
        let question = target.firstIndex(of: "?")
        let path = String(target[..<(question ?? target.endIndex)])
        let query = question.map { String(target[target.index(after: $0)...]) }
        return (String(requestLine[0]), path, query, String(requestLine[2]), headers)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = max(0, start)
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// Writes every byte (the socket has a send timeout); false when the client is gone.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) }
            if count > 0 { offset += count; continue }
            if count < 0, errno == EINTR { continue }
            return false
        }
        return true
    }
}
