import Foundation

/// An ordered RFC 5322 header section. It exists because the same field syntax is reused by
/// message headers, MIME part headers, DSN field groups (RFC 3464) and ARF reports (RFC 5965):
/// names are case-insensitive, values are unfolded but otherwise kept raw (not RFC 2047 decoded).
public struct MailHeaders: Sendable, Equatable {
    /// One header field; `value` is unfolded (line breaks removed) and trimmed.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public var fields: [Field]

    public init(fields: [Field] = []) { self.fields = fields }

    /// The first value of the named field (case-insensitive), if any.
    public subscript(name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    /// All values of the named field, in order.
    public func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return fields.filter { $0.name.lowercased() == key }.map(\.value)
    }

    /// The first value of the named field with RFC 2047 encoded words decoded.
    public func decoded(_ name: String) -> String? {
        self[name].map(EncodedWords.decode)
    }

    /// Parses a header section from the start of `bytes`; returns the headers, the index where
    /// the body starts, and a problem note when a line was neither a field nor a continuation.
    /// Parsing stops at the first empty line, or at the first line that cannot be a header
    /// (that line then starts the body), so binary input cannot make the header section huge.
    static func parse(_ bytes: ArraySlice<UInt8>) -> (headers: MailHeaders, bodyStart: Int, problem: String?) {
        var fields: [Field] = []
        var current: (name: String, value: [UInt8])?
        var bodyStart = bytes.endIndex
        var problem: String?
        func finish() {
            if let field = current {
                fields.append(Field(name: field.name, value: ByteText.string(field.value).trimmed))
            }
            current = nil
        }
        var offset = bytes.startIndex
        var index = -1
        while let line = ByteText.line(in: bytes, from: offset) {
            index += 1
            offset = line.next
            let content = bytes[line.start..<line.end]
            if content.allSatisfy({ $0 == 32 || $0 == 9 }) {
                bodyStart = line.next
                break
            }
            if let first = content.first, first == 32 || first == 9 {
                if current != nil {
                    current?.value.append(32)
                    current?.value.append(contentsOf: content.drop { $0 == 32 || $0 == 9 })
                    continue
                }
            } else if let field = current, field.value.last(where: { $0 != 32 && $0 != 9 }) == 59, !content.contains(58), content.contains(61) {
                // Unindented parameter after "Content-Type: multipart/alternative;" (seen in the wild).
                current?.value.append(32)
                current?.value.append(contentsOf: content)
                continue
            } else if index == 0, ByteText.hasPrefix(content, at: content.startIndex, Array("From ".utf8)) {
                continue  // mbox separator line left in place
            } else if let colon = content.firstIndex(of: 58), colon > content.startIndex {
                // "Name : value" (blank before the colon) is obsolete syntax but still seen.
                let name = ByteText.string(content[content.startIndex..<colon]).trimmingCharacters(in: .whitespaces)
                if !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
                    finish()
                    current = (name, Array(content[(colon + 1)...]))
                    continue
                }
            }
            // Not a header line: the body starts here.
            if index > 0 || !fields.isEmpty || current != nil {
                problem = "header section ended without an empty line"
            }
            bodyStart = line.start
            break
        }
        finish()
        return (MailHeaders(fields: fields), bodyStart, problem)
    }
}
