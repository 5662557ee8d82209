import Foundation

/// Extraction of addr-specs and message ids from header values and free text. Bounces quote
/// addresses in every imaginable way (`<a@b>`, `rfc822;a@b`, `"a@b"`, `a@b:`), so this looks for
/// the addr-spec shape rather than parsing full RFC 5322 address lists.
public enum MailAddress {
    /// The first addr-spec in a header value such as `"Name" <User@Example.org>`, lowercased.
    public static func first(in value: String?) -> String? {
        guard let value else { return nil }
        let decoded = EncodedWords.decode(value)
        if let open = decoded.lastIndex(of: "<"), let close = decoded[open...].firstIndex(of: ">") {
            let inner = decoded[decoded.index(after: open)..<close].trimmed
            if let address = all(in: inner).first { return address }
        }
        return all(in: decoded).first
    }

    /// Every addr-spec-looking token in `text`, lowercased, in order, without duplicates.
    public static func all(in text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var result: [String] = []
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "@" else { i += 1; continue }
            var start = i
            while start > 0, isLocalScalar(scalars[start - 1]) { start -= 1 }
            var end = i + 1
            while end < scalars.count, isDomainScalar(scalars[end]) { end += 1 }
            while end > i + 1, scalars[end - 1] == "." || scalars[end - 1] == "-" { end -= 1 }
            while start < i, ".'`=/|".unicodeScalars.contains(scalars[start]) { start += 1 }
            if start < i, end > i + 1 {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[start..<end])
                let candidate = String(view).lowercased()
                let domain = candidate.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
                if domain.contains("."), !domain.hasPrefix("."), !result.contains(candidate) { result.append(candidate) }
            }
            i = max(end, i + 1)
        }
        return result
    }

    private static func isLocalScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { return scalar.value < 0x2000 }
        return "!#$%&'*+-/=?^_`{|}~.".unicodeScalars.contains(scalar)
    }

    private static func isDomainScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { return scalar.value < 0x2000 }
        return scalar == "." || scalar == "-" || scalar == "_"
    }

    /// True for addresses of mail systems rather than people (MAILER-DAEMON, postmaster, ...).
    public static func isMailSystem(_ address: String) -> Bool {
        let local = address.split(separator: "@").first.map { $0.lowercased() } ?? ""
        return ["mailer-daemon", "postmaster", "post_master", "mail-daemon", "maildaemon", "mailerdaemon", "mdaemon", "noreply-dmarc-support"].contains(local)
    }
}

/// Message-ID / In-Reply-To / References values (RFC 5322 §3.6.4), with angle brackets removed.
public enum MessageIDs {
    /// All ids in a header value; bare tokens containing "@" are accepted when no `<...>` exists.
    public static func parse(_ value: String?) -> [String] {
        guard let value else { return [] }
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmed
            if !id.isEmpty { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<>\"")) }
                .filter { $0.contains("@") }
        }
        return ids
    }
}
