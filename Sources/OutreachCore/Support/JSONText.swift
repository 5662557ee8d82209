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

    /// A JSON string literal, escaping quotes, backslashes, every control character, and
    /// U+2028/U+2029 (so the text is also safe inside JavaScript). Byte-level: it runs for
    /// every field of every stored message.
    public static func quote(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var needsEscape = false
            for index in bytes.indices {
                let byte = bytes[index]
                if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F
                    || (byte == 0xE2 && index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)) {
                    needsEscape = true
                    break
                }
            }
            var out = [UInt8]()
            out.reserveCapacity(bytes.count + (needsEscape ? 16 : 2))
            out.append(0x22)
            guard needsEscape else {
                out.append(contentsOf: bytes)
                out.append(0x22)
                return String(decoding: out, as: UTF8.self)
            }
            let hex = Array("0123456789abcdef".utf8)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    out.append(contentsOf: Array("\\u202".utf8))
                    out.append(bytes[index + 2] == 0xA8 ? 0x38 : 0x39)
                    index += 2
                default:
                    if byte < 0x20 || byte == 0x7F {
                        out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                    } else {
                        out.append(byte)
                    }
                }
                index += 1
            }
            out.append(0x22)
            return String(decoding: out, as: UTF8.self)
        }
    }

    // MARK: - Flat string objects

    /// Encodes a string-to-string map as a JSON object with sorted keys.
    public static func encodeFlat(_ map: [String: String]) -> String {
        if map.isEmpty { return "{}" }
        return "{" + map.keys.sorted().map { "\(quote($0)):\(quote(map[$0]!))" }.joined(separator: ",") + "}"
    }

    /// Decodes a flat JSON object of strings (what `encodeFlat` writes); non-string values
    /// are kept as their JSON text. Returns nil for anything that is not such an object.
    /// A byte-level parser handles what outreach writes; anything else goes to Foundation.
    public static func decodeFlat(_ json: String) -> [String: String]? {
        if json == "{}" { return [:] }
        if let fast = FlatObjectParser.parse(json) { return fast }
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

/// Parses `{"key":"value",...}` with JSON string escapes; nil for any other shape.
private enum FlatObjectParser {
    static func parse(_ json: String) -> [String: String]? {
        var json = json
        return json.withUTF8 { bytes -> [String: String]? in
            var index = 0
            func skipSpace() { while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 } }
            func string() -> String? {
                guard index < bytes.count, bytes[index] == 0x22 else { return nil }
                index += 1
                var out = [UInt8]()
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == 0x22 {
                        index += 1
                        return String(decoding: out, as: UTF8.self)
                    }
                    if byte == 0x5C {
                        guard index + 1 < bytes.count else { return nil }
                        let escaped = bytes[index + 1]
                        index += 2
                        switch escaped {
                        case 0x22, 0x5C, 0x2F: out.append(escaped)
                        case 0x6E: out.append(0x0A)
                        case 0x72: out.append(0x0D)
                        case 0x74: out.append(0x09)
                        case 0x62: out.append(0x08)
                        case 0x66: out.append(0x0C)
                        case 0x75:
                            guard var scalar = hex4() else { return nil }
                            if (0xD800..<0xDC00).contains(scalar) {
                                guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { return nil }
                                index += 2
                                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            }
                            guard let unicode = Unicode.Scalar(scalar) else { return nil }
                            out.append(contentsOf: Array(String(Character(unicode)).utf8))
                        default: return nil
                        }
                        continue
                    }
                    out.append(byte)
                    index += 1
                }
                return nil
            }
            func hex4() -> UInt32? {
                guard index + 4 <= bytes.count else { return nil }
                var value: UInt32 = 0
                for offset in 0..<4 {
                    let byte = bytes[index + offset]
                    let digit: UInt32
                    switch byte {
                    case 0x30...0x39: digit = UInt32(byte - 0x30)
                    case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                    case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                    default: return nil
                    }
                    value = value * 16 + digit
                }
                index += 4
                return value
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x7B else { return nil }
            index += 1
            var map: [String: String] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D { return map }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x3A else { return nil }
                index += 1
                skipSpace()
                guard let value = string() else { return nil }
                map[key] = value
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == 0x2C { index += 1; continue }
                if bytes[index] == 0x7D {
                    index += 1
                    skipSpace()
                    return index == bytes.count ? map : nil
                }
                return nil
            }
        }
    }
}
