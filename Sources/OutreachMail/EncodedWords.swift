import Foundation

/// RFC 2047 encoded-word decoding (`=?charset?B|Q?text?=`) for Subject, From and similar
/// header values. Adjacent encoded words separated only by whitespace are joined, and runs in
/// the same charset are decoded together so multi-byte characters split across words survive.
public enum EncodedWords {
    /// Decodes every encoded word in `value`; malformed words are left as they are.
    public static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        let bytes = Array(value.utf8)
        var output = ""
        var literal: [UInt8] = []  // plain bytes since the last encoded word
        var pending: (charset: String, bytes: [UInt8])?
        func flushPending() {
            if let run = pending { output += Charsets.decode(run.bytes, charset: run.charset) }
            pending = nil
        }
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 61, i + 1 < bytes.count, bytes[i + 1] == 63, let word = parseWord(bytes, at: i) else {
                literal.append(bytes[i])
                i += 1
                continue
            }
            let adjacent = pending != nil && literal.allSatisfy { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
            if adjacent, let run = pending, run.charset.lowercased() == word.charset.lowercased() {
                pending?.bytes.append(contentsOf: word.bytes)
            } else {
                flushPending()
                if !adjacent { output += ByteText.string(literal) }
                pending = (word.charset, word.bytes)
            }
            literal = []
            i = word.end
        }
        flushPending()
        output += ByteText.string(literal)
        return output
    }

    /// Parses one encoded word starting at `start` ("=?"); returns its charset, decoded bytes
    /// and the index just after "?=", or nil when the syntax does not match.
    private static func parseWord(_ bytes: [UInt8], at start: Int) -> (charset: String, bytes: [UInt8], end: Int)? {
        var i = start + 2
        let charsetStart = i
        while i < bytes.count, bytes[i] != 63 {
            if bytes[i] <= 32 || i - charsetStart > 40 { return nil }
            i += 1
        }
        guard i + 2 < bytes.count, bytes[i + 2] == 63 else { return nil }
        var charset = ByteText.string(bytes[charsetStart..<i])
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language
        let mode = bytes[i + 1] | 0x20
        guard mode == 98 || mode == 113 else { return nil }
        let textStart = i + 3
        var j = textStart
        while j + 1 < bytes.count, !(bytes[j] == 63 && bytes[j + 1] == 61) {
            if bytes[j] == 32 || bytes[j] == 9 { return nil }
            j += 1
        }
        guard j + 1 < bytes.count else { return nil }
        let text = bytes[textStart..<j]
        let decoded = mode == 98
            ? TransferEncoding.decodeBase64(text).bytes
            : TransferEncoding.decodeQuotedPrintable(text, underscoreIsSpace: true).bytes
        return (charset, decoded, j + 2)
    }
}
