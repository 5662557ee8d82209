import Foundation

/// Byte-level helpers shared by the parser: mail is bytes first, text second, and every
/// conversion here is total (never traps, never fails) so that malformed input stays harmless.
enum ByteText {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10

    /// Decodes bytes as UTF-8 when valid, else as ISO-8859-1 (which accepts every byte).
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        utf8(bytes) ?? latin1(bytes)
    }

    /// Decodes strictly valid UTF-8, or returns nil.
    static func utf8<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: return nil
            }
        }
    }

    /// Decodes bytes as ISO-8859-1: byte N becomes U+00NN.
    static func latin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    /// Splits text into lines at LF, CRLF or CR (Swift treats CRLF as one Character).
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    /// The line starting at `offset` (an index of `bytes`): content end (terminator excluded)
    /// and the index where the following line starts; nil at the end of `bytes`.
    static func line(in bytes: ArraySlice<UInt8>, from offset: Int) -> (start: Int, end: Int, next: Int)? {
        guard offset >= bytes.startIndex, offset < bytes.endIndex else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> (start: Int, end: Int, next: Int)? in
            guard let base = buffer.baseAddress else { return nil }
            let local = offset - bytes.startIndex
            var end = buffer.count
            var next = buffer.count
            if let found = memchr(base + local, Int32(lf), buffer.count - local) {
                end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                next = end + 1
            }
            let contentEnd = (end > local && base[end - 1] == cr) ? end - 1 : end
            return (offset, bytes.startIndex + contentEnd, bytes.startIndex + next)
        }
    }

    /// All line ranges of `bytes` (see `line(in:from:)`).
    static func lineRanges(_ bytes: ArraySlice<UInt8>) -> [(start: Int, end: Int, next: Int)] {
        var result: [(start: Int, end: Int, next: Int)] = []
        var offset = bytes.startIndex
        while let line = line(in: bytes, from: offset) {
            result.append(line)
            offset = line.next
        }
        return result
    }

    /// True when `bytes[at...]` starts with `prefix`.
    static func hasPrefix(_ bytes: ArraySlice<UInt8>, at index: Int, _ prefix: [UInt8]) -> Bool {
        guard index >= bytes.startIndex, bytes.endIndex - index >= prefix.count else { return false }
        var i = index
        for byte in prefix {
            if bytes[i] != byte { return false }
            i += 1
        }
        return true
    }

    /// The value of an ASCII hex digit, or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }
}

extension StringProtocol {
    /// The string with leading and trailing spaces, tabs and line breaks removed.
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension String {
    /// Case-insensitive substring test with an already lowercased needle.
    func containsLowercased(_ needle: String) -> Bool { lowercased().contains(needle) }

    /// Collapses runs of whitespace (including line breaks) into single spaces.
    var collapsedWhitespace: String {
        split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
