import Foundation

/// Finds RFC 3463 enhanced status codes (`5.1.1`) and SMTP reply codes (`550`) in text.
/// Hand-written scanners keep this fast and free of regex engine differences between platforms.
public enum StatusCode {
    /// The first enhanced status code (`[245].n.n`) in `text` that is not part of a longer
    /// dotted number such as an IP address or a version string.
    public static func find(in text: String) -> String? { all(in: text).first }

    /// Every enhanced status code in `text`, in order.
    public static func all(in text: String) -> [String] {
        let bytes = Array(text.utf8)
        var found: [String] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == 50 || byte == 52 || byte == 53, i + 1 < bytes.count, bytes[i + 1] == 46,
                  i == 0 || !(isDigit(bytes[i - 1]) || bytes[i - 1] == 46 || isLetter(bytes[i - 1])) else {
                i += 1
                continue
            }
            var j = i + 2
            let second = digits(bytes, from: &j)
            guard (1...3).contains(second), j < bytes.count, bytes[j] == 46 else { i += 1; continue }
            j += 1
            let third = digits(bytes, from: &j)
            let followedByNumber = j + 1 < bytes.count && bytes[j] == 46 && isDigit(bytes[j + 1])
            if (1...3).contains(third), !followedByNumber, j >= bytes.count || !isLetter(bytes[j]) {
                found.append(String(decoding: bytes[i..<j], as: UTF8.self))
            }
            i = j
        }
        return found
    }

    /// An SMTP reply code at the start of `text` (`550 5.1.1 ...`, `550-...`).
    public static func replyCode(in text: String) -> String? {
        let bytes = Array(text.trimmed.utf8.prefix(4))
        guard bytes.count >= 3, [50, 52, 53].contains(bytes[0]), isDigit(bytes[1]), isDigit(bytes[2]),
              bytes.count == 3 || bytes[3] == 32 || bytes[3] == 45 else { return nil }
        return String(decoding: bytes[0..<3], as: UTF8.self)
    }

    /// The first `4xx`/`5xx` reply code in running text: a three-digit token preceded by a
    /// blank, colon or line start and followed by a blank, dash or line end.
    public static func replyCodeAnywhere(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 52 || bytes[i] == 53, isDigit(bytes[i + 1]), isDigit(bytes[i + 2]),
               i == 0 || [32, 9, 10, 13, 58, 40, 91, 34].contains(bytes[i - 1]),
               i + 3 == bytes.count || [32, 45, 10, 13].contains(bytes[i + 3]),
               bytes[i + 1] <= 53 {
                return String(decoding: bytes[i..<(i + 3)], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    private static func digits(_ bytes: [UInt8], from index: inout Int) -> Int {
        let start = index
        while index < bytes.count, isDigit(bytes[index]), index - start < 4 { index += 1 }
        return index - start
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 }
}
