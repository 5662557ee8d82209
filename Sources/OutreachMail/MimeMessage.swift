import Foundation

/// A parsed MIME entity (RFC 2045/2046): headers, media type, raw body and child entities.
/// It is the tree every classifier step inspects, public so tests can look at it. Parsing is
/// bounded (at most `maxParts` entities, `maxDepth` levels) and total: malformed input yields a
/// best-effort tree with `problems` notes instead of an error. Bodies are decoded lazily, so a
/// large attachment costs one boundary scan and nothing more.
public struct MimeMessage: Sendable {
    /// Upper bound on the number of entities parsed in one message.
    public static let maxParts = 1000
    /// Upper bound on multipart / message nesting.
    public static let maxDepth = 20

    public var headers: MailHeaders
    public var contentType: ContentType
    /// Lowercased Content-Transfer-Encoding, `7bit` when absent.
    public var transferEncoding: String
    /// Children: the parts of a multipart, or the single embedded message of `message/rfc822`
    /// and `text/rfc822-headers` entities.
    public var parts: [MimeMessage]
    /// One short note per malformed thing found while parsing this entity (not its children).
    public var problems: [String]
    /// The body exactly as it appears in the input (still transfer-encoded).
    let body: ArraySlice<UInt8>

    /// Parses a complete message.
    public init(parsing data: Data) {
        var budget = MimeMessage.maxParts
        self = MimeMessage.parse(ArraySlice([UInt8](data)), depth: 0, budget: &budget)
    }

    /// Parses a complete message given as bytes.
    public init(parsing bytes: [UInt8]) {
        var budget = MimeMessage.maxParts
        self = MimeMessage.parse(ArraySlice(bytes), depth: 0, budget: &budget)
    }

    private init(headers: MailHeaders, body: ArraySlice<UInt8>) {
        self.headers = headers
        self.contentType = ContentType(parsing: headers["Content-Type"])
        self.transferEncoding = headers["Content-Transfer-Encoding"].map { $0.lowercased().trimmed } ?? "7bit"
        self.parts = []
        self.problems = []
        self.body = body
    }

    /// The raw (still transfer-encoded) body.
    public var rawBody: Data { Data(body) }

    /// True for `message/rfc822`-like entities whose single child is the embedded message.
    public var isEmbeddedMessage: Bool {
        ["message/rfc822", "message/global", "message/rfc822-headers", "text/rfc822-headers", "message/global-headers"]
            .contains(contentType.mimeType)
    }

    /// The embedded message of a `message/rfc822` or `text/rfc822-headers` entity.
    public var embeddedMessage: MimeMessage? { isEmbeddedMessage ? parts.first : nil }

    /// This entity and all its descendants, depth first.
    public var allParts: [MimeMessage] {
        var result = [self]
        for part in parts { result.append(contentsOf: part.allParts) }
        return result
    }

    /// Problems of this entity and all descendants.
    public var allProblems: [String] { allParts.flatMap(\.problems) }

    /// The body with its Content-Transfer-Encoding removed.
    public func decodedBody() -> (bytes: [UInt8], problem: String?) { decode(body) }

    /// The decoded body as text in the declared charset (UTF-8 / ISO-8859-1 fallback).
    public var text: String { Charsets.decode(decodedBody().bytes, charset: contentType["charset"]) }

    /// Like `text`, but only the first `limit` raw bytes are decoded: enough for reading a
    /// notification, and cheap when a part is many megabytes.
    public func text(limit: Int) -> String { decodedText(limit: limit).text }

    /// `text(limit:)` plus the transfer-decoding problem, if any.
    func decodedText(limit: Int) -> (text: String, problem: String?) {
        let decoded = decode(body.prefix(max(0, limit)))
        return (Charsets.decode(decoded.bytes, charset: contentType["charset"]), decoded.problem)
    }

    private func decode(_ raw: ArraySlice<UInt8>) -> (bytes: [UInt8], problem: String?) {
        switch transferEncoding {
        case "base64": return TransferEncoding.decodeBase64(raw)
        case "quoted-printable": return TransferEncoding.decodeQuotedPrintable(raw)
        default: return (Array(raw), nil)
        }
    }

    // MARK: - Parsing

    static func parse(_ bytes: ArraySlice<UInt8>, depth: Int, budget: inout Int) -> MimeMessage {
        budget -= 1
        let (headers, bodyStart, headerProblem) = MailHeaders.parse(bytes)
        var entity = MimeMessage(headers: headers, body: bytes[bodyStart...])
        if let headerProblem { entity.problems.append(headerProblem) }
        if headers["Content-Type"] != nil, headers["Content-Type"]?.contains("/") != true {
            entity.problems.append("unparsable Content-Type \"\(headers["Content-Type"] ?? "")\"")
        }
        let isContainer = entity.contentType.topType == "multipart" || entity.isEmbeddedMessage
        guard isContainer else { return entity }
        guard depth < maxDepth else {
            entity.problems.append("nesting deeper than \(maxDepth) levels, inner parts not parsed")
            return entity
        }
        guard budget > 0 else {
            entity.problems.append("more than \(maxParts) parts, remaining parts not parsed")
            return entity
        }
        if entity.isEmbeddedMessage {
            let decoded = entity.decodedBody()
            if let problem = decoded.problem { entity.problems.append(problem) }
            let inner = entity.transferEncoding == "base64" || entity.transferEncoding == "quoted-printable"
                ? ArraySlice(decoded.bytes) : entity.body
            entity.parts = [parse(inner, depth: depth + 1, budget: &budget)]
            return entity
        }
        var boundary = entity.contentType["boundary"] ?? ""
        if boundary.isEmpty {
            boundary = guessBoundary(entity.body) ?? ""
            entity.problems.append(boundary.isEmpty ? "multipart without boundary" : "multipart without boundary parameter, guessed one")
        }
        guard !boundary.isEmpty else { return entity }
        let split = splitMultipart(entity.body, boundary: boundary)
        if split.parts.isEmpty {
            entity.problems.append("multipart body has no boundary line")
        } else if !split.closed {
            entity.problems.append("multipart: missing closing boundary (truncated?)")
        }
        for partBytes in split.parts {
            guard budget > 0 else {
                entity.problems.append("more than \(maxParts) parts, remaining parts not parsed")
                break
            }
            var part = parse(partBytes, depth: depth + 1, budget: &budget)
            if entity.contentType.mimeType == "multipart/digest", part.headers["Content-Type"] == nil {
                part.contentType = ContentType(mimeType: "message/rfc822")
            }
            entity.parts.append(part)
        }
        return entity
    }

    /// Splits a multipart body at its delimiter lines; `closed` tells whether the closing
    /// delimiter was seen. Preamble and epilogue are dropped.
    static func splitMultipart(_ body: ArraySlice<UInt8>, boundary: String) -> (parts: [ArraySlice<UInt8>], closed: Bool) {
        let delimiter = Array(("--" + boundary).utf8)
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var previousEnd = body.startIndex
        var offset = body.startIndex
        while let line = ByteText.line(in: body, from: offset) {
            defer { offset = line.next }
            let content = body[line.start..<line.end]
            guard content.first == 45, ByteText.hasPrefix(content, at: line.start, delimiter) else {
                previousEnd = line.end
                continue
            }
            var rest = content.dropFirst(delimiter.count)
            let closing = rest.starts(with: [45, 45])
            if closing { rest = rest.dropFirst(2) }
            guard rest.allSatisfy({ $0 == 32 || $0 == 9 }) else {
                previousEnd = line.end
                continue
            }
            if let start = partStart { parts.append(body[start..<max(start, previousEnd)]) }
            if closing { return (parts, true) }
            partStart = line.next
            previousEnd = line.next
        }
        if let start = partStart, start < body.endIndex { parts.append(body[start...]) }
        return (parts, false)
    }

    /// For a multipart without a boundary parameter: the first `--token` line of the body.
    private static func guessBoundary(_ body: ArraySlice<UInt8>) -> String? {
        var offset = body.startIndex
        var scanned = 0
        while let line = ByteText.line(in: body, from: offset), scanned < 200 {
            let content = body[line.start..<line.end]
            if content.count > 3, content.starts(with: [45, 45]), !content.contains(32) {
                var token = ByteText.string(content.dropFirst(2))
                if token.hasSuffix("--") { token.removeLast(2) }
                return token.isEmpty ? nil : token
            }
            offset = line.next
            scanned += 1
        }
        return nil
    }
}
