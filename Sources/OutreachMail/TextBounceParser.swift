import Foundation

/// Finds failed recipients in the human-readable text of a bounce that has no (usable)
/// `message/delivery-status` part: recipient lines (`<a@b>:`, `  a@b`, `a@b on <date>`), the
/// text block that follows each one, and the status and reply codes inside that block.
enum TextBounceParser {
    /// A recipient address with the text that explains its failure.
    struct Block {
        var address: String
        var text: String
    }

    /// Recipient blocks in `notice`; addresses in `excluded` (ours, the mail system's) are skipped.
    /// With `wholeTextFallback`, a notice without recipient lines yields its first foreign
    /// address with the whole notice as its block.
    static func blocks(in notice: String, excluding excluded: Set<String>, wholeTextFallback: Bool = true) -> [Block] {
        let lines = ByteText.lines(notice)
        var starts: [(line: Int, address: String, summary: Bool)] = []
        for (index, line) in lines.enumerated() {
            if let address = recipientLineAddress(line), !excluded.contains(address), !MailAddress.isMailSystem(address) {
                starts.append((index, address, StatusCode.replyCode(in: String(line)) != nil))
            }
            if starts.count >= 200 { break }
        }
        if starts.isEmpty {
            guard wholeTextFallback else { return [] }
            let addresses = MailAddress.all(in: notice).filter { !excluded.contains($0) && !MailAddress.isMailSystem($0) }
            return addresses.prefix(1).map { Block(address: $0, text: notice) }
        }
        var blocks: [Block] = []
        for (offset, start) in starts.enumerated() where !blocks.contains(where: { $0.address == start.address }) {
            if start.summary {
                // Sendmail transcript summary ("554 <a@b>... reason"): the session lines since
                // the previous recipient line lead up to it.
                let from = offset > 0 ? starts[offset - 1].line + 1 : max(0, start.line - 8)
                let text = lines[max(from, start.line - 8)...start.line].joined(separator: "\n")
                blocks.append(Block(address: start.address, text: text))
                continue
            }
            // A block runs to the next line that starts with another address, at most 25 lines.
            let next = starts[(offset + 1)...].first { $0.address != start.address }
            let end = min(next?.line ?? lines.count, start.line + 25)
            var blockLines = Array(lines[start.line..<max(start.line + 1, end)])
            // Transcript lines just before that name the same address (">>> RCPT To:<a@b>").
            let earlier = lines[max(0, start.line - 4)..<start.line].filter { $0.lowercased().contains(start.address) }
            blockLines = earlier + blockLines
            if next == nil, blockLines.count < 2 || !containsCode(blockLines.joined(separator: "\n")) {
                // The explanation sometimes precedes the address ("Unknown user: a@b" / "because:").
                blockLines = Array(lines[max(0, start.line - 6)..<start.line]) + blockLines
            }
            blocks.append(Block(address: start.address, text: blockLines.joined(separator: "\n")))
        }
        return blocks
    }

    /// The paragraph that first mentions `address` anywhere in a line (for reports such as
    /// `user:000:<a@b> : host : 550 ...`), or nil.
    static func paragraph(mentioning address: String, in notice: String) -> String? {
        let lines = ByteText.lines(notice)
        guard let first = lines.firstIndex(where: { $0.lowercased().contains(address) }) else { return nil }
        var end = first + 1
        while end < lines.count, end - first < 10, !lines[end].trimmingCharacters(in: .whitespaces).isEmpty { end += 1 }
        return lines[first..<end].joined(separator: "\n")
    }

    /// The address when `line` starts with one (optionally in `<>` or quotes, optionally after
    /// a reply code as in sendmail's `554 <a@b>... Host unknown`).
    static func recipientLineAddress(_ line: Substring) -> String? {
        var text = line.trimmingCharacters(in: .whitespaces)
        if StatusCode.replyCode(in: text) != nil, text.count > 4 { text = String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces) }
        for prefix in [">>> rcpt to:", "rcpt to:"] where text.lowercased().hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        while let first = text.first, "<\"'(".contains(first) { text.removeFirst() }
        let token = text.prefix { !" \t>:;,\"')".contains($0) }
        guard token.contains("@"), let address = MailAddress.all(in: String(token)).first,
              address == token.lowercased() else { return nil }
        return address
    }

    /// True when the text carries a status or reply code.
    static func containsCode(_ text: String) -> Bool {
        StatusCode.find(in: text) != nil || StatusCode.replyCodeAnywhere(in: text) != nil
    }

    /// The reply code most likely to be the remote server's answer: after "said:" or at a line
    /// start, else anywhere.
    static func replyCode(in text: String) -> String {
        for line in ByteText.lines(text) {
            let trimmed = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t<>"))
            if let code = StatusCode.replyCode(in: trimmed) { return code }
            if let range = line.range(of: "said: "), let code = StatusCode.replyCode(in: String(line[range.upperBound...])) { return code }
        }
        return StatusCode.replyCodeAnywhere(in: text) ?? ""
    }
}
