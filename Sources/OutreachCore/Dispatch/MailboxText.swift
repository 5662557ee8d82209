import Foundation

/// A mailbox as people write it: `Ada Lovelace <ada@example.com>` or `ada@example.com`.
public struct MailboxText: Sendable, Equatable {
    public let name: String?
    /// Normalized address.
    public let address: String

    /// Parses a mailbox; nil when there is no valid address in it.
    public static func parse(_ text: String) -> MailboxText? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let address = EmailAddress.normalize(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]))
            guard EmailAddress.problem(address) == nil else { return nil }
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            return MailboxText(name: name.isEmpty ? nil : name, address: address)
        }
        let address = EmailAddress.normalize(trimmed)
        guard EmailAddress.problem(address) == nil else { return nil }
        return MailboxText(name: nil, address: address)
    }
}
