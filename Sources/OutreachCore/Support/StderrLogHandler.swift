import Foundation
import Logging

/// Writes log lines to stderr, as text for people or as one JSON object per line.
///
/// Values are escaped, so a lead field with CR/LF can never start a forged log line: JSON
/// escapes control characters, and the text format quotes values and writes `\n` as two
/// characters. Timestamps come from the same clock as everything else (`--now` included).
public struct StderrLogHandler: LogHandler {
    /// Text for people, JSON lines for machines.
    public enum Format: String, Sendable { case text, json }

    let format: Format
    let clock: any WallClock
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(format: Format, clock: any WallClock, logLevel: Logger.Level) {
        self.format = format
        self.clock = clock
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let stamp = Timestamp.format(clock.now())
        let line: String
        switch format {
        case .json:
            var pairs: [(String, JSONText.Value)] = [
                ("ts", .string(stamp)), ("level", .string(event.level.rawValue)), ("msg", .string(event.message.description)),
            ]
            for key in merged.keys.sorted() { if let value = merged[key] { pairs.append((key, Self.typed(value))) } }
            line = JSONText.write(.object(pairs))
        case .text:
            var text = "\(stamp) \(event.level.rawValue) \(Self.escape(event.message.description))"
            for key in merged.keys.sorted() {
                let value = Self.flatten(merged[key]!)
                if value.isEmpty { continue }
                text += " \(key)=\(Self.quoteIfNeeded(value))"
            }
            line = text
        }
        StandardStreams.err(line + "\n")
    }

    /// A metadata value as JSON: numbers as numbers, booleans as booleans, "" as null (SPEC §14).
    public static func typed(_ value: Logger.Metadata.Value) -> JSONText.Value {
        switch value {
        case .string(let text): text.isEmpty ? .null : .string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: .bool(flag)
            case let number as any BinaryInteger: Int64(exactly: number).map(JSONText.Value.int) ?? .string(number.description)
            case let number as Double: number.isFinite ? .double(number) : .string(number.description)
            default: .string(convertible.description)
            }
        case .array(let items): .array(items.map(typed))
        case .dictionary(let map): .object(map.keys.sorted().map { ($0, typed(map[$0] ?? .string(""))) })
        }
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let items): items.map(flatten).joined(separator: ",")
        case .dictionary(let map): map.keys.sorted().map { "\($0):\(flatten(map[$0]!))" }.joined(separator: ",")
        }
    }

    /// Control characters as visible escapes (`\n`, `\r`, `\u{..}`).
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\u{\(String(scalar.value, radix: 16))}" } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func quoteIfNeeded(_ value: String) -> String {
        let escaped = escape(value)
        if escaped.contains(" ") || escaped.contains("\"") || escaped.contains("=") {
            return "\"" + escaped.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return escaped
    }
}
