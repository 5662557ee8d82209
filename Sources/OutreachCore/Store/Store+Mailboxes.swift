import Foundation

/// The mailboxes' transactions: `mailbox apply|list|show|pause|resume` (SPEC §12).
extension Store {
    /// Creates or updates every mailbox of a file (`file` names it in errors), in one
    /// transaction: a tick sees the file's caps and gaps all old or all new, and an invalid
    /// mailbox leaves every one as it was.
    public func applyMailboxes(_ mailboxes: [Mailbox], from file: String,
                               clock: any WallClock) throws -> [(String, MailboxQueries.ApplyResult)] {
        try write("applying \(file)") { db in try MailboxQueries.apply(db, mailboxes, now: clock.now()) }
    }

    /// Every mailbox with today's use and rates at `now`, from one snapshot.
    public func mailboxStatuses(now: Date) throws -> [MailboxStatus] {
        try read("listing mailboxes") { db in
            try MailboxQueries.all(db).map { try MailboxStatus.make(db, $0, now: now) }
        }
    }

    /// One mailbox at `now`, the campaigns whose senders name it, and its sends today by
    /// campaign, from one snapshot, so the split adds up to the total it shows.
    public func mailboxDetails(address: String, now: Date) throws
        -> (status: MailboxStatus, campaigns: [String], sentTodayByCampaign: [(String, Int)]) {
        try read("reading mailbox \(address)") { db in
            let stored = try MailboxQueries.require(db, address: address)
            return (try MailboxStatus.make(db, stored, now: now), try MailboxQueries.campaigns(db, using: stored.address),
                    try MailboxQueries.sendsToday(db, stored, now: now))
        }
    }

    /// Pauses a mailbox: no campaign sends from it once this commits, since every send claims
    /// the mailbox in a conditional update that requires it active. Returns the mailbox.
    public func pauseMailbox(address: String, reason: String?, clock: any WallClock) throws -> StoredMailbox {
        try write("pausing mailbox \(address)") { db in
            let stored = try MailboxQueries.require(db, address: address)
            try MailboxQueries.setStatus(db, stored, .paused, reason: reason, now: clock.now())
            return stored
        }
    }

    /// Resumes a mailbox. Its guardrail window restarts and the leads its pause postponed come
    /// back in the same transaction, so none stays postponed by a pause that is over.
    public func resumeMailbox(address: String, clock: any WallClock) throws -> StoredMailbox {
        try write("resuming mailbox \(address)") { db in
            let stored = try MailboxQueries.require(db, address: address)
            try MailboxQueries.setStatus(db, stored, .active, reason: nil, now: clock.now())
            return stored
        }
    }
}
