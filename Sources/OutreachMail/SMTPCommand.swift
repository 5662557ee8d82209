import Foundation

/// Works out at which SMTP command a delivery failed, from the wording MTAs use
/// ("in reply to RCPT TO command", "after end of data", ">>> DATA", "most progress was RCPT TO").
/// It matters because an address rejected only after DATA or at MAIL FROM was accepted at
/// RCPT TO, so "user unknown" there is a content filter or a sender problem, not a bad address.
public enum SMTPCommand: String, Sendable {
    case connect = "CONN", helo = "HELO", mail = "MAIL", rcpt = "RCPT", data = "DATA"

    private static let explicit: [(String, SMTPCommand)] = [
        ("in reply to rcpt to command", .rcpt), ("in reply to rcpt command", .rcpt), ("most progress was rcpt to", .rcpt),
        ("does not like recipient", .rcpt), ("has rejected address", .rcpt), ("did not like our rcpt to", .rcpt),
        ("in reply to end of data command", .data), ("in reply to data command", .data),
        ("in reply to mail from command", .mail), ("in reply to mail command", .mail),
        ("in reply to ehlo command", .helo), ("in reply to helo command", .helo), ("in reply to initial greeting", .connect),
    ]

    private static let mentions: [(String, SMTPCommand)] = [
        ("rcpt to", .rcpt), (">>> rcpt", .rcpt), ("[rcpt_to]", .rcpt), ("smtp:rcpt", .rcpt), ("after rcpt", .rcpt), ("end of data", .data), ("data command", .data),
        (">>> data", .data), ("after data", .data), ("command data", .data), ("mail from:", .mail), (">>> mail", .mail),
        ("after mail from", .mail), (">>> ehlo", .helo), (">>> helo", .helo), ("after ehlo", .helo), ("after helo", .helo),
        ("after initial connection", .connect), ("after the initial connection", .connect),
    ]

    /// The command the failure happened at, or nil when the text does not say.
    public static func find(in text: String) -> SMTPCommand? { locate(in: text)?.command }

    /// The command, and whether the text names it outright ("in reply to RCPT TO command",
    /// Exim's "after end of data") rather than it being inferred from a session transcript,
    /// where pipelined replies can arrive after later commands.
    public static func locate(in text: String) -> (command: SMTPCommand, explicit: Bool)? {
        let lower = text.lowercased().collapsedWhitespace
        if let match = explicit.first(where: { lower.contains($0.0) }) { return (match.1, true) }
        if let match = eximPhrases.first(where: { lower.contains($0.0) }) { return (match.1, true) }
        guard let inferred = inferred(in: lower) else { return nil }
        return (inferred, false)
    }

    /// Exim: "SMTP error from remote mail server after RCPT TO:<a@b>:" and friends.
    private static let eximPhrases: [(String, SMTPCommand)] = [
        ("mail server after end of data", .data), ("mail server after rcpt to", .rcpt), ("mail server after mail from", .mail),
        ("remote server after rcpt", .rcpt), ("mail server after data", .data), ("after end of data", .data),
    ]

    private static func inferred(in lower: String) -> SMTPCommand? {
        var found: [(position: Int, command: SMTPCommand)] = []
        for (phrase, command) in mentions {
            var searchRange = lower.startIndex..<lower.endIndex
            while let range = lower.range(of: phrase, range: searchRange) {
                found.append((lower.distance(from: lower.startIndex, to: range.lowerBound), command))
                searchRange = range.upperBound..<lower.endIndex
            }
        }
        guard !found.isEmpty else { return nil }
        found.sort { $0.position < $1.position }
        // The command in effect when the first error reply appears.
        guard let code = firstErrorReply(in: lower) else { return found.last?.command }
        return found.last(where: { $0.position < code })?.command ?? found.first?.command
    }

    /// Position of the first 4xx/5xx reply in the text.
    private static func firstErrorReply(in text: String) -> Int? {
        guard let code = StatusCode.replyCodeAnywhere(in: text),
              let range = text.range(of: code) else { return nil }
        return text.distance(from: text.startIndex, to: range.lowerBound)
    }
}
