import Foundation

/// Writes an `OutgoingMessage` as an Internet Message (RFC 5322) with MIME (RFC 2045–2047).
///
/// CRLF line ends; every header value stripped of control characters, so no lead field can
/// start a header of its own; non-ASCII and over-long header text as RFC 2047 encoded-words
/// folded under 78 characters; the body as 7bit when it can be, quoted-printable otherwise.
public enum RFC5322 {
    /// The complete message text.
    public static func render(_ message: OutgoingMessage) -> String {
        var lines: [String] = []
        lines.append(contentsOf: header("Date", date(message.date)))
        lines.append(contentsOf: mailboxHeader("From", mailbox: message.from))
        if let replyTo = message.replyTo { lines.append(contentsOf: mailboxHeader("Reply-To", mailbox: replyTo)) }
        lines.append(contentsOf: addressHeader("To", name: message.toName, address: message.to))
        lines.append(contentsOf: unstructuredHeader("Subject", message.subject))
        lines.append(contentsOf: header("Message-ID", "<\(clean(message.messageID))>"))
        if let parent = message.inReplyTo {
            lines.append(contentsOf: header("In-Reply-To", "<\(clean(parent))>"))
            // msg-ids separated by folding white space, one per line (RFC 5322 §3.6.4).
            let ids = (message.references.isEmpty ? [parent] : message.references).map { "<\(clean($0))>" }
            lines.append("References: " + ids[0])
            lines.append(contentsOf: ids.dropFirst().map { " " + $0 })
        }
        if !message.unsubscribeTargets.isEmpty {
            lines.append(contentsOf: listHeader("List-Unsubscribe", message.unsubscribeTargets.map { "<\(clean($0))>" }))
            if message.unsubscribeTargets.contains(where: { $0.lowercased().hasPrefix("https://") }) {
                lines.append(contentsOf: header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
            }
        }
        lines.append(contentsOf: header("MIME-Version", "1.0"))
        lines.append(contentsOf: header("Content-Type", "text/plain; charset=utf-8"))
        let (encoding, body) = encodeBody(message.body)
        lines.append(contentsOf: header("Content-Transfer-Encoding", encoding))
        lines.append(contentsOf: header("X-Outreach-Campaign", clean(message.campaignSlug)))
        lines.append(contentsOf: header("X-Outreach-Key", clean(message.idempotencyKey)))
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    // MARK: - Header values

    /// Replaces every control character (CR and LF included) with a space.
    public static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    private static func header(_ name: String, _ value: String) -> [String] {
        ["\(name): \(value)"]
    }

    private static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Unstructured text (Subject): ASCII folded at spaces, anything else as encoded-words.
    static func unstructuredHeader(_ name: String, _ raw: String) -> [String] {
        let value = clean(raw)
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        let fitsAsASCII = isPlainASCII(value) && !value.contains("=?") && words.allSatisfy { $0.utf8.count <= 70 }
        guard fitsAsASCII else { return encodedWordsHeader(name, value) }
        var lines: [String] = []
        var current = "\(name):"
        for word in words {
            if current.utf8.count + 1 + word.utf8.count > 78, current != "\(name):" {
                lines.append(current)
                current = ""
            }
            current += " " + word
        }
        lines.append(current)
        return lines
    }

    /// A header whose whole value is RFC 2047 encoded-words, one per line.
    private static func encodedWordsHeader(_ name: String, _ value: String) -> [String] {
        let words = encodedWords(value)
        guard let first = words.first else { return ["\(name): "] }
        return ["\(name): \(first)"] + words.dropFirst().map { " \($0)" }
    }

    /// `=?UTF-8?B?…?=` words of at most 60 characters (36 bytes each), never splitting a
    /// character, so even `Subject: ` plus a word stays under 76 characters (RFC 2047 §2).
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 36, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words
    }

    /// A display name as a phrase: atoms as they are, specials quoted, non-ASCII encoded.
    static func phrase(_ raw: String) -> [String] {
        let name = TextTrimming.trimmedSpaces(clean(raw))
        guard isPlainASCII(name), !name.contains("=?") else { return encodedWords(name) }
        let atext = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        if name.unicodeScalars.allSatisfy(atext.contains) { return [name] }
        return ["\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""]
    }

    private static func addressHeader(_ name: String, name display: String?, address: String) -> [String] {
        let address = clean(address)
        guard let display, !TextTrimming.trimmedSpaces(display).isEmpty else { return ["\(name): \(address)"] }
        let words = phrase(display)
        let single = "\(name): \(words.joined(separator: " ")) <\(address)>"
        if words.count == 1, single.utf8.count <= 78 { return [single] }
        return ["\(name): \(words[0])"] + words.dropFirst().map { " \($0)" } + [" <\(address)>"]
    }

    private static func mailboxHeader(_ name: String, mailbox text: String) -> [String] {
        guard let mailbox = MailboxText.parse(text) else { return ["\(name): \(clean(text))"] }
        return addressHeader(name, name: mailbox.name, address: mailbox.address)
    }

    private static func listHeader(_ name: String, _ items: [String]) -> [String] {
        var lines = ["\(name): \(items[0])"]
        for item in items.dropFirst() {
            lines[lines.count - 1] += ","
            lines.append(" \(item)")
        }
        return lines
    }

    // MARK: - Date

    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 5322 date-time in UTC: `Sat, 21 Nov 2026 14:05:00 +0000`.
    public static func date(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        let (year, month, day) = Timestamp.civilDate(fromDays: days)
        let time = Timestamp.format(date).dropFirst(11).prefix(8)
        return "\(weekday), \(day) \(months[month - 1]) \(year) \(time) +0000"
    }

    // MARK: - Body

    /// The transfer encoding and the encoded body (CRLF line ends, ending with CRLF).
    static func encodeBody(_ text: String) -> (String, String) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        let sevenBit = lines.allSatisfy { line in
            line.utf8.count <= 998 && line.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
        }
        if sevenBit { return ("7bit", lines.joined(separator: "\r\n") + "\r\n") }
        return ("quoted-printable", lines.map { quotedPrintable(Array($0.utf8)) }.joined(separator: "\r\n") + "\r\n")
    }

    /// One line in quoted-printable (RFC 2045 §6.7), soft-wrapped under 77 characters.
    static func quotedPrintable(_ bytes: [UInt8]) -> String {
        var out = ""
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast)
            let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
            if lineLength + piece.count > 75 {
                out += "=\r\n"
                lineLength = 0
            }
            out += piece
            lineLength += piece.count
        }
        return out
    }
}
