import Foundation

/// Identity and validation of e-mail addresses.
///
/// An address is trimmed and lower-cased before anything else sees it, so `Ada@Example.COM `
/// and `ada@example.com` are one person for leads, unsubscribes, suppressions and events.
/// Validation is deliberately conservative (RFC 5321 dot-atoms, ASCII domains with at least
/// one dot): an address we cannot write safely into a header is refused at import, never
/// discovered at send time.
public enum EmailAddress {
    /// The identity form of an address: trimmed and lower-cased.
    public static func normalize(_ raw: String) -> String {
        TextTrimming.trimmed(raw).lowercased()
    }

    /// The domain part of a normalized address.
    public static func domain(of email: String) -> String {
        guard let at = email.lastIndex(of: "@") else { return "" }
        return String(email[email.index(after: at)...])
    }

    /// Why a normalized address is unusable, or nil when it is fine.
    public static func problem(_ email: String) -> String? {
        guard !email.isEmpty else { return "the email is empty" }
        guard email.utf8.count <= 254 else { return "the email is longer than 254 characters" }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "'\(printable(email))' is not an email address (it needs exactly one @)" }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64 else { return "'\(printable(email))' has an empty or too long local part" }
        guard isDotAtom(local, allowed: localCharacters) else {
            return "'\(printable(email))' has characters that are not allowed before the @"
        }
        if let problem = domainProblem(String(domain)) { return "'\(printable(email))': \(problem)" }
        return nil
    }

    /// Why a normalized domain is unusable, or nil when it is fine.
    public static func domainProblem(_ domain: String) -> String? {
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return "the domain is empty or too long" }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return "the domain '\(printable(domain))' has no dot" }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ $0 < 128 && domainCharacters[Int($0)] }),
                  label.first != "-", label.last != "-"
            else { return "the domain '\(printable(domain))' is not a valid host name (use punycode for non-ASCII names)" }
        }
        return nil
    }

    private static func isDotAtom(_ text: Substring, allowed: [Bool]) -> Bool {
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                if previous == byte { return false }
            } else if byte >= 128 || !allowed[Int(byte)] {
                return false
            }
            previous = byte
        }
        return previous != UInt8(ascii: ".")
    }

    /// Byte lookup tables (a `Set` lookup per byte is measurably slow at a million rows).
    private static func table(_ characters: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 128)
        for byte in characters.utf8 { table[Int(byte)] = true }
        return table
    }

    private static let localCharacters = table("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-")
    private static let domainCharacters = table("abcdefghijklmnopqrstuvwxyz0123456789-")

    /// Makes user text safe to quote in a one-line message: control characters become `?`,
    /// and very long values are shortened.
    public static func printable(_ text: some StringProtocol) -> String {
        let cleaned = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return cleaned.count > 80 ? String(cleaned.prefix(77)) + "..." : cleaned
    }
}
