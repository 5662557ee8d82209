import Foundation

/// Normalizes the recipient addresses found in webhook payloads.
///
/// It exists so every provider's addresses compare equal to the ones the product stores:
/// trimmed, lowercased, a display-name form (`Jane <jane@example.com>`) reduced to the
/// address, and anything without an `@` dropped (the event is then ignored).
enum HookAddress {
    static func normalize(_ raw: String) -> String? {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = String(text[text.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        guard !text.isEmpty, text.count <= 320,
              let at = text.firstIndex(of: "@"),
              at != text.startIndex, text.index(after: at) != text.endIndex,
              !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
        else { return nil }
        return text.lowercased()
    }
}
