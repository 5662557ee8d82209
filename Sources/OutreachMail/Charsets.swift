import Foundation

/// Maps MIME charset names to Foundation encodings with a fixed table, so decoding behaves the
/// same on Linux and macOS; unknown or undecodable text falls back to UTF-8, then ISO-8859-1.
enum Charsets {
    private static let table: [String: String.Encoding] = [
        "utf-8": .utf8, "utf8": .utf8, "us-ascii": .utf8, "ascii": .utf8, "ansi_x3.4-1968": .utf8,
        "iso-8859-1": .isoLatin1, "iso8859-1": .isoLatin1, "iso_8859-1": .isoLatin1, "latin1": .isoLatin1,
        "l1": .isoLatin1, "iso-8859-2": .isoLatin2, "iso8859-2": .isoLatin2, "latin2": .isoLatin2,
        "windows-1250": .windowsCP1250, "cp1250": .windowsCP1250,
        "windows-1251": .windowsCP1251, "cp1251": .windowsCP1251,
        "windows-1252": .windowsCP1252, "cp1252": .windowsCP1252,
        "windows-1253": .windowsCP1253, "cp1253": .windowsCP1253,
        "windows-1254": .windowsCP1254, "cp1254": .windowsCP1254,
        "shift_jis": .shiftJIS, "shift-jis": .shiftJIS, "sjis": .shiftJIS, "cp932": .shiftJIS,
        "windows-31j": .shiftJIS, "euc-jp": .japaneseEUC, "iso-2022-jp": .iso2022JP,
        "utf-16": .utf16, "utf-16le": .utf16LittleEndian, "utf-16be": .utf16BigEndian,
    ]

    /// The Foundation encoding for a charset name, or nil when it is not in the table.
    static func encoding(named name: String) -> String.Encoding? {
        table[name.trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")).lowercased()]
    }

    /// Decodes bytes in the named charset; never fails (UTF-8, then ISO-8859-1 as fallbacks).
    static func decode<C: Collection>(_ bytes: C, charset: String?) -> String where C.Element == UInt8 {
        if let charset, let encoding = encoding(named: charset), encoding != .utf8, encoding != .isoLatin1,
           let text = String(data: Data(bytes), encoding: encoding) {
            return text
        }
        if let charset, encoding(named: charset) == .isoLatin1 { return ByteText.latin1(bytes) }
        return ByteText.string(bytes)
    }
}
