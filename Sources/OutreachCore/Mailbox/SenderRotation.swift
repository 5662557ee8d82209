import Foundation

/// Which of a campaign's senders a lead's first message goes from (SPEC §12): among those
/// that can send now, the one with the most capacity left today, ties in file order. An
/// address without a mailbox has no mailbox limit, so it counts as unlimited. The tick and
/// `leads show` both ask this, so the explanation cannot drift from the choice.
public enum SenderRotation {
    /// The chosen address, or nil when every sender is a mailbox that cannot send now.
    public static func pick(_ addresses: [String], mailboxes: [String: StoredMailbox], at instant: Date) -> String? {
        var best: (address: String, capacity: Int)?
        for address in addresses {
            let capacity: Int
            if let mailbox = mailboxes[address] {
                guard case .ready(let left) = mailbox.availability(at: instant) else { continue }
                capacity = left
            } else {
                capacity = .max
            }
            if best == nil || capacity > best!.capacity { best = (address, capacity) }
        }
        return best?.address
    }
}
