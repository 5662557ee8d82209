import Foundation

/// The headers of the message a bounce or complaint refers to. They come from an attached
/// `message/rfc822` / `text/rfc822-headers` part when there is one, else from the copy that
/// many bounces paste as text after a marker such as "------ This is a copy of the message".
/// The importer needs its Message-ID and X-Outreach-Key to find which send failed.
struct OriginalMessage {
    var headers: MailHeaders

    var messageID: String? { MessageIDs.parse(headers["Message-ID"]).first }
    var outreachKey: String? { headers["X-Outreach-Key"]?.trimmed }
    var to: String? { MailAddress.first(in: headers["To"]) }
    var from: String? { MailAddress.first(in: headers["From"]) }

    init(message: MimeMessage, text: NotificationText) {
        var found = MailHeaders()
        for part in message.allParts.dropFirst() where part.isEmbeddedMessage {
            if let embedded = part.embeddedMessage, !embedded.headers.fields.isEmpty {
                found = embedded.headers
                break
            }
        }
        if found["Message-ID"] == nil || found["X-Outreach-Key"] == nil {
            let inline = OriginalMessage.inlineHeaders(text.original.isEmpty ? text.notice : text.original)
            found.fields += inline.fields.filter { found[$0.name] == nil }
        }
        headers = found
    }

    /// Header fields pasted as text: the first header block after the marker, plus any
    /// `Message-ID:` / `X-Outreach-Key:` / `To:` / `From:` lines found further down.
    static func inlineHeaders(_ text: String) -> MailHeaders {
        var fields: [MailHeaders.Field] = []
        let wanted = ["message-id", "x-outreach-key", "to", "from", "subject"]
        let lines = ByteText.lines(text)
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: CharacterSet(charactersIn: " \t>"))
            index += 1
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            guard wanted.contains(name), !fields.contains(where: { $0.name.lowercased() == name }) else { continue }
            var value = line[line.index(after: colon)...].trimmed
            // Folded continuation lines (e.g. a Message-ID on its own line).
            while index < lines.count, let first = lines[index].first, first == " " || first == "\t" {
                value += " " + lines[index].trimmed
                index += 1
            }
            if !value.isEmpty { fields.append(MailHeaders.Field(name: String(line[..<colon]), value: value)) }
        }
        return MailHeaders(fields: fields)
    }
}
