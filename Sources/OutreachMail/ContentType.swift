import Foundation

/// A parsed `Content-Type` (or `Content-Disposition`) value: the lowercased media type and its
/// parameters. It exists because boundaries, charsets and `report-type` drive the whole parse;
/// it accepts quoted values, RFC 2231 continuations (`name*0=`) and extended values
/// (`name*=charset'lang'%XX`).
public struct ContentType: Sendable, Equatable {
    /// Lowercased `type/subtype`, e.g. `multipart/report`; `text/plain` when absent or unparsable.
    public var mimeType: String
    /// Parameters with lowercased names and unquoted, decoded values.
    public var parameters: [String: String]

    public init(mimeType: String = "text/plain", parameters: [String: String] = [:]) {
        self.mimeType = mimeType
        self.parameters = parameters
    }

    /// The media type before the slash, e.g. `multipart`.
    public var topType: String { String(mimeType.split(separator: "/").first ?? "text") }

    public subscript(parameter: String) -> String? { parameters[parameter.lowercased()] }

    /// Parses a header value; never fails.
    public init(parsing header: String?) {
        self.init()
        guard let header else { return }
        let pieces = ContentType.splitParameters(header)
        let type = (pieces.first ?? "").lowercased().replacingOccurrences(of: " ", with: "")
        if type.contains("/") {
            mimeType = type
        } else if type.isEmpty == false, ["text", "multipart", "message"].contains(type) {
            mimeType = type == "multipart" ? "multipart/mixed" : type + "/plain"
        }
        var continuations: [String: [(index: Int, value: String, extended: Bool)]] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimmed.lowercased()
            let value = ContentType.unquote(piece[piece.index(after: equals)...].trimmed)
            var extended = false
            if name.hasSuffix("*") { extended = true; name.removeLast() }
            if let star = name.firstIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
                continuations[String(name[..<star]), default: []].append((index, value, extended))
            } else if extended {
                parameters[name] = ContentType.decodeExtended(value)
            } else if parameters[name] == nil {
                parameters[name] = value
            }
        }
        for (name, segments) in continuations where parameters[name] == nil {
            let ordered = segments.sorted { $0.index < $1.index }
            if ordered.first?.extended == true {
                // Only the first segment carries charset'language'; later extended ones are %-encoded.
                let raw = ordered.enumerated().map { item in
                    item.offset == 0 || item.element.extended ? item.element.value : ContentType.percentEncode(item.element.value)
                }
                parameters[name] = ContentType.decodeExtended(raw.joined())
            } else {
                parameters[name] = ordered.map(\.value).joined()
            }
        }
    }

    /// Splits on semicolons outside quoted strings and drops parenthesised comments.
    static func splitParameters(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var commentDepth = 0
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if quoted {
                if character == "\\" { escaped = true } else if character == "\"" { quoted = false }
                current.append(character)
                continue
            }
            switch character {
            case "\"" where commentDepth == 0: quoted = true; current.append(character)
            case "(": commentDepth += 1
            case ")" where commentDepth > 0: commentDepth -= 1
            case ";" where commentDepth == 0: pieces.append(current.trimmed); current = ""
            default: if commentDepth == 0 { current.append(character) }
            }
        }
        pieces.append(current.trimmed)
        return pieces
    }

    /// Removes surrounding double quotes and backslash escapes.
    static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else {
            return text.hasPrefix("\"") ? String(text.dropFirst()) : text
        }
        var result = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped { result.append(character); escaped = false } else if character == "\\" { escaped = true } else { result.append(character) }
        }
        return result
    }

    /// Decodes an RFC 2231 extended value `charset'language'percent-encoded`.
    static func decodeExtended(_ value: String) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        let charset = parts.count == 3 ? String(parts[0]) : "utf-8"
        let encoded = parts.count == 3 ? parts[2] : Substring(value)
        var bytes: [UInt8] = []
        let raw = Array(encoded.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == 37, i + 2 < raw.count, let high = ByteText.hexValue(raw[i + 1]), let low = ByteText.hexValue(raw[i + 2]) {
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return Charsets.decode(bytes, charset: charset.isEmpty ? "utf-8" : charset)
    }

    private static func percentEncode(_ value: String) -> String {
        value.utf8.map { $0 == 37 || $0 > 126 ? "%" + String($0, radix: 16, uppercase: true) : String(UnicodeScalar($0)) }.joined()
    }
}
