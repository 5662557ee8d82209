import Foundation

/// Hand-written JSON for the shapes outreach writes and reads in hot paths.
///
/// Lead attributes are a flat object of strings, read once per lead per tick; the command
/// line prints arrays of ordered objects. Foundation's JSON coders are correct but slow on
/// Linux and do not keep key order, so these small, exact routines do both jobs.
public enum JSONText {
    /// A JSON value with ordered object keys.
    public indirect enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case null
        case array([Value])
        case object([(String, Value)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            JSONText.write(lhs) == JSONText.write(rhs)
        }

        /// A string, or null when nil.
        public static func optional(_ text: String?) -> Value { text.map(Value.string) ?? .null }
        /// A timestamp in the SPEC's format, or null when nil.
        public static func timestamp(_ date: Date?) -> Value { date.map { .string(Timestamp.format($0)) } ?? .null }
    }

    /// Serialises a value compactly (no spaces), keys in the given order.
    public static func write(_ value: Value) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Serialises a value with two-space indentation.
    public static func pretty(_ value: Value) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: 0)
        return out
    }

    private static func write(_ value: Value, into out: inout String, indent: String?, level: Int) {
        let newline = indent == nil ? "" : "\n"
        func pad(_ depth: Int) -> String { indent.map { String(repeating: $0, count: depth) } ?? "" }
        switch value {
        case .string(let text): out += quote(text)
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? String(number) : "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (index, item) in items.enumerated() {
                out += pad(level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
                out += (index < items.count - 1 ? "," : "") + newline
            }
            out += pad(level) + "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (index, pair) in pairs.enumerated() {
                out += pad(level + 1) + quote(pair.0) + (indent == nil ? ":" : ": ")
                write(pair.1, into: &out, indent: indent, level: level + 1)
                out += (index < pairs.count - 1 ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }

    /// A JSON string literal, escaping quotes, backslashes and every control character.
    public static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: - Flat string objects

    /// Encodes a string-to-string map as a JSON object with sorted keys.
    public static func encodeFlat(_ map: [String: String]) -> String {
        if map.isEmpty { return "{}" }
        return "{" + map.keys.sorted().map { "\(quote($0)):\(quote(map[$0]!))" }.joined(separator: ",") + "}"
    }

    /// Decodes a flat JSON object of strings (what `encodeFlat` writes); non-string values
    /// are kept as their JSON text. Returns nil for anything that is not such an object.
    public static func decodeFlat(_ json: String) -> [String: String]? {
        if json == "{}" { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        var map: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: map[key] = text
            case is NSNull: continue
            default: map[key] = "\(value)"
            }
        }
        return map
    }
}
