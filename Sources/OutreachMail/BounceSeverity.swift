import Foundation

/// Decides whether a failed recipient is a hard bounce (the address itself is bad) or soft
/// (anything else). A wrong "hard" suppresses a good address, so every doubt resolves to soft:
/// temporary failures and policy wording always win over address-unknown wording.
public enum BounceSeverity {
    /// Enhanced status codes that by themselves mean "this address does not exist"
    /// (bad mailbox 5.1.1, bad domain 5.1.2, bad address syntax 5.1.3, moved 5.1.6, Null MX 5.1.10).
    public static let hardStatuses: Set<String> = ["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"]

    /// Wording that means the recipient's domain does not exist or takes no mail (lowercased).
    /// Unlike user-unknown wording it needs no SMTP command: the failure happens before any.
    public static let domainUnknownPhrases = [
        "no such domain", "host not found", "host unknown", "unknown host", "domain not found", "domain does not exist",
        "host or domain name not found", "no mx record", "null mx", "does not accept mail", "invalid domain",
        "domain name not found", "unrouteable mail domain", "unroutable mail domain", "host * not found",
        "couldn't find a mail exchanger", "could not find a mail exchanger", "indicated no smtp service",
        "illegal host/domain name",
    ]

    /// Wording that means the mailbox does not exist (lowercased substrings).
    public static let addressUnknownPhrases = [
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such person",
        "no such address", "unknown recipient", "recipient unknown", "unknown mailbox", "mailbox unknown",
        "mailbox not found", "mailbox does not exist", "mailbox doesn't exist", "address does not exist",
        "user does not exist", "user doesn't exist", "recipient does not exist", "account does not exist",
        "does not exist", "doesn't exist", "not exist", "user not found", "recipient not found", "address not found",
        "invalid recipient", "invalid mailbox", "invalid address", "not a valid mailbox", "not a valid recipient",
        "unrouteable address", "unroutable address", "no mailbox", "not listed in", "recipient name is not recognized",
        "recipnotfound", "no valid recipients", "unknown local part", "unknown or illegal alias", "address unknown",
        "user not known", "no account by that name", "addressee unknown", "recipient address rejected: user unknown",
        "user account is unavailable", "mailbox unavailable", "mailbox is unavailable",
        "unknown address", "bad destination mailbox", "bad address", "is not a known user", "user not listed",
    ]

    /// Wording that means the failure is temporary or not about the address (lowercased).
    public static let notAboutAddressPhrases = [
        "quota", "mailbox full", "mailbox is full", "box is full", "is full", "over the limit", "exceeded storage",
        "insufficient", "storage", "disk full", "too many", "rate limit", "ratelimit", "try again", "try later",
        "temporar", "delayed", "will be retried", "will continue", "retrying", "timed out", "timeout", "spam",
        "blocked", "blacklist", "block list", "blocklist", "dnsbl", "spamhaus", "policy", "reputation", "junk",
        "disabled", "suspended", "inactive", "deactivated", "locked", "expired", "virus", "relay access denied",
        "relaying denied", "not permitted to relay", "unable to relay", "relay not permitted", "relaying not allowed",
        "authentication", "spf", "dkim", "dmarc", "reverse dns", "ptr record", "message too big", "too large",
        "message size", "content rejected", "greylist", "graylist", "refused to talk", "connection refused",
        "access denied", "not allowed", "prohibited", "forbidden", "denied", "security", "sender address rejected",
        "suspicious", "unsolicited", "bulk", "filtered", "loop", "mailbox busy", "out of office", "vacation",
        "command output", "procmail", "disk space", "domain of sender",
    ]

    /// True when a failed recipient should be treated as a bad address.
    /// - Parameters:
    ///   - diagnostic: the server's reply for this recipient.
    ///   - context: surrounding notification text; any temporary/policy wording in it makes the
    ///     verdict soft, and it is searched for the SMTP command when the diagnostic names none.
    public static func isHard(status: String, replyCode: String, diagnostic: String, context: String = "", action: String = "") -> Bool {
        verdict(status: status, replyCode: replyCode, diagnostic: diagnostic, context: context, action: action).hard
    }

    /// `isHard` with the reason for the verdict, for diagnostics and tests.
    static func verdict(status: String, replyCode: String, diagnostic: String, context: String, action: String) -> (hard: Bool, why: String) {
        let action = action.lowercased()
        if ["delayed", "delivered", "relayed", "expanded"].contains(action) { return (false, "action \(action)") }
        if status.hasPrefix("4") || status.hasPrefix("2") || replyCode.hasPrefix("4") || replyCode.hasPrefix("2") {
            return (false, "not a permanent failure")
        }
        let text = withoutAddresses(diagnostic)
        let wider = withoutAddresses(withoutTemporaryReplies(diagnostic + "\n" + context))
        if let phrase = notAboutAddressPhrases.first(where: { matches(wider, $0) }) { return (false, "wording \"\(phrase)\"") }
        let command = SMTPCommand.locate(in: diagnostic) ?? SMTPCommand.locate(in: context)
        if let command, command.command != .rcpt, command.explicit || !hardStatuses.contains(status) {
            return (false, "failed at \(command.command.rawValue), the address was accepted")
        }
        if hardStatuses.contains(status) { return (true, "status \(status)") }
        let permanent = replyCode.hasPrefix("5") || status.hasPrefix("5")
        if let phrase = domainUnknownPhrases.first(where: { matches(text, $0) }), permanent || (status.isEmpty && replyCode.isEmpty) {
            return (true, "domain wording \"\(phrase)\"")
        }
        guard status.isEmpty || ["5.0", "5.1", "5.5", "5.2.1", "5.3.0"].contains(where: status.hasPrefix) else {
            return (false, "status \(status) is not about the address")
        }
        guard command?.command == .rcpt, permanent else { return (false, "no RCPT-stage permanent rejection") }
        if let phrase = addressUnknownPhrases.first(where: { matches(text, $0) }) { return (true, "rejected at RCPT with \"\(phrase)\"") }
        return (false, "no address-unknown wording")
    }

    /// Lowercased text with addr-specs and URL fragments removed, so that an address such as
    /// `filtered@example.org` or a help link anchor (`.../reason/#filtered`) cannot trigger
    /// wording rules. URLs themselves stay: a blocklist link is real evidence.
    static func withoutAddresses(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace)
            .filter { !$0.contains("@") }
            .map { $0.contains("://") ? $0.split(separator: "#", maxSplits: 1).first ?? $0 : $0 }
            .joined(separator: " ")
    }

    /// Drops lines carrying a 4xx reply or 4.x.x status: earlier temporary failures (another MX
    /// being busy, a later RSET) say nothing about the final permanent rejection.
    static func withoutTemporaryReplies(_ text: String) -> String {
        ByteText.lines(text).filter { line in
            let string = String(line)
            return !(StatusCode.replyCodeAnywhere(in: string)?.hasPrefix("4") ?? false)
                && !(StatusCode.find(in: string)?.hasPrefix("4") ?? false)
        }.joined(separator: "\n")
    }

    /// Substring match; a `*` in the phrase stands for up to 60 characters of one sentence.
    static func matches(_ text: String, _ phrase: String) -> Bool {
        guard let star = phrase.firstIndex(of: "*") else { return text.contains(phrase) }
        let head = String(phrase[..<star]), tail = String(phrase[phrase.index(after: star)...])
        var searchStart = text.startIndex
        while let range = text.range(of: head, range: searchStart..<text.endIndex) {
            let window = text[range.upperBound...].prefix(60 + tail.count)
            if let end = window.range(of: tail), !window[..<end.lowerBound].contains(". ") { return true }
            searchStart = range.upperBound
        }
        return false
    }
}
