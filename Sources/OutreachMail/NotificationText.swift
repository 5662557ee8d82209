import Foundation

/// The human-readable text of a message (its text/plain parts, or de-tagged HTML), split into
/// the notification proper and the copy of the original message that bounces usually append.
/// Heuristics read only `notice`, so words in the returned message cannot fool them.
struct NotificationText {
    /// Text written by the reporting system, before any original-message marker.
    var notice: String
    /// Everything from the first original-message marker on (may be empty).
    var original: String
    /// Transfer-decoding problems met in the parts that were read.
    var problems: [String] = []

    /// Lines that introduce the returned original message (lowercased, matched as substrings).
    static let originalMarkers = [
        "this is a copy of the message", "below this line is a copy of the message",
        "original message follows", "----- original message -----", "-----original message-----",
        "------ original message ------", "returned message --------", "unsent message follows",
        "original message headers", "message headers follow", "content-type: message/rfc822",
        "the headers of your message", "your message reads (in part)", "original message:",
        "---- the header of original message is following. ----", "copy of original message",
    ]

    /// Raw bytes read per text part: notifications are short, returned messages can be huge.
    static let partLimit = 128 * 1024

    init(of message: MimeMessage) {
        var plain: [String] = []
        var html: [String] = []
        NotificationText.collect(message, plain: &plain, html: &html, problems: &problems)
        let text = plain.isEmpty ? html.map(NotificationText.stripHTML).joined(separator: "\n") : plain.joined(separator: "\n")
        let lines = ByteText.lines(text)
        var cut = lines.count
        for (index, line) in lines.enumerated() {
            let lower = line.lowercased()
            if NotificationText.originalMarkers.contains(where: { lower.contains($0) })
                || (index > 0 && (line.hasPrefix("Received: ") || line.hasPrefix("Return-Path: ") || line.hasPrefix("Return-path: "))) {
                cut = index
                break
            }
        }
        notice = lines[..<cut].joined(separator: "\n")
        original = lines[cut...].joined(separator: "\n")
    }

    /// Gathers text parts outside embedded messages and machine-readable report parts.
    private static func collect(_ entity: MimeMessage, plain: inout [String], html: inout [String], problems: inout [String]) {
        if entity.isEmbeddedMessage || plain.count + html.count >= 8 { return }
        let type = entity.contentType.mimeType
        if entity.contentType.topType == "multipart" {
            if entity.parts.isEmpty { plain.append(entity.text(limit: partLimit)) }  // unparsable multipart: its raw text
            for part in entity.parts { collect(part, plain: &plain, html: &html, problems: &problems) }
            return
        }
        let disposition = entity.headers["Content-Disposition"]?.lowercased() ?? ""
        guard type == "text/html" || (entity.contentType.topType == "text" && !disposition.hasPrefix("attachment")) else { return }
        let decoded = entity.decodedText(limit: partLimit)
        if let problem = decoded.problem { problems.append(problem) }
        if type == "text/html" { html.append(decoded.text) } else { plain.append(decoded.text) }
    }

    /// Turns HTML into plain text: block tags become line breaks, other tags vanish, the
    /// common entities are decoded.
    static func stripHTML(_ html: String) -> String {
        var output = ""
        var tag = ""
        var inTag = false
        for character in html {
            if inTag {
                if character == ">" {
                    inTag = false
                    let name = tag.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "/ ")).split(separator: " ").first ?? ""
                    if ["br", "p", "div", "tr", "li", "table", "h1", "h2", "h3", "pre", "blockquote"].contains(String(name)) { output.append("\n") }
                    tag = ""
                } else {
                    tag.append(character)
                }
            } else if character == "<" {
                inTag = true
            } else {
                output.append(character)
            }
        }
        let entities = ["&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&apos;": "'", "&amp;": "&"]
        for (entity, replacement) in entities { output = output.replacingOccurrences(of: entity, with: replacement) }
        return output
    }
}
