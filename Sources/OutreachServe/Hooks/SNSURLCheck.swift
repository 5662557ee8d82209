/// Tells whether a URL points at Amazon SNS itself.
///
/// It exists because an SNS message names its own signing certificate and confirmation
/// URL: unchecked, an attacker could make us fetch or trust anything. Accepted:
/// `https://sns.<region>.amazonaws.com/…` and `https://sns.<region>.amazonaws.com.cn/…`,
/// lowercase, no user info, no port.
public struct SNSURLCheck {
    /// True for an `https://sns.<region>.amazonaws.com[.cn]` URL with any path and query;
    /// the caller checks a `SubscribeURL` with it before confirming a subscription.
    public static func isAmazonSNS(_ url: String) -> Bool {
        split(url) != nil
    }

    /// The file name of a signing certificate URL, which must be
    /// `https://sns.<region>.amazonaws.com[.cn]/<name>.pem` with one plain path segment.
    static func certificateFileName(_ url: String) -> String? {
        guard let (_, rest) = split(url), rest.hasPrefix("/") else { return nil }
        let name = rest.dropFirst()
        guard name.count > 4, name.count <= 200, name.hasSuffix(".pem"), !name.contains(".."),
              name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { return nil }
        return String(name)
    }

    /// The host and what follows it (path, query), or nil when the URL is not Amazon SNS's.
    private static func split(_ url: String) -> (host: Substring, rest: Substring)? {
        let prefix = "https://"
        guard url.hasPrefix(prefix), url.count <= 2048,
              !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F })
        else { return nil }
        let afterScheme = url.dropFirst(prefix.count)
        let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let host = afterScheme[..<hostEnd]
        guard isSNSHost(host) else { return nil }
        return (host, afterScheme[hostEnd...])
    }

    private static func isSNSHost(_ host: Substring) -> Bool {
        let region: Substring
        if host.hasPrefix("sns."), host.hasSuffix(".amazonaws.com") {
            region = host.dropFirst(4).dropLast(".amazonaws.com".count)
        } else if host.hasPrefix("sns."), host.hasSuffix(".amazonaws.com.cn") {
            region = host.dropFirst(4).dropLast(".amazonaws.com.cn".count)
        } else {
            return false
        }
        return isRegion(region)
    }

    /// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`: two letters, one or
    /// more lowercase words, a number; all joined by hyphens.
    private static func isRegion(_ region: Substring) -> Bool {
        let parts = region.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let first = parts.first, let last = parts.last,
              first.count == 2, first.utf8.allSatisfy(isLowercaseLetter),
              (1...2).contains(last.count), last.utf8.allSatisfy(isDigit)
        else { return false }
        return parts.dropFirst().dropLast().allSatisfy { !$0.isEmpty && $0.count <= 16 && $0.utf8.allSatisfy(isLowercaseLetter) }
    }

    private static func isLowercaseLetter(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        isLowercaseLetter(c) || isDigit(c) || (c >= 0x41 && c <= 0x5A)
    }
}
