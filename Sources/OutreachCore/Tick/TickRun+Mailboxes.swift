import Foundation

/// The sender a message goes from, and its mailbox when the address has one.
struct SenderChoice {
    /// The `From` as the campaign file writes it.
    let from: String
    /// Its bare, lower-cased address (what `leads.sender` keeps).
    let address: String
    let mailbox: StoredMailbox?
}

/// What the senders allow for one lead now.
enum SenderVerdict {
    case send(SenderChoice)
    case postpone(DecisionKind, until: Date, reason: String)
}

/// Mailboxes and guardrails in the tick (SPEC §12). Mailbox rows are read once per group
/// (one transaction, so nothing else changes them meanwhile on SQLite) and kept current
/// with what this run claims; the conditional update in `MailboxQueries.claim` has the
/// last word either way.
extension TickRun {
    /// How long a lead waits for a paused mailbox before it is looked at again; a resume
    /// brings the leads of the mailbox back at once.
    static let pausedMailboxRecheck: TimeInterval = 24 * 3600
    /// The same for a lead with no sender yet, which may rotate to a mailbox that reopens.
    static let unassignedRecheck: TimeInterval = 3600

    /// Reads the campaign's mailboxes for this group and applies their guardrails.
    func loadMailboxes(_ db: any SQLConnection) throws {
        mailboxes = try MailboxQueries.find(db, addresses: senderAddresses)
        let instant = now
        for (address, mailbox) in mailboxes where mailbox.status == .active {
            guard guardrailsMayTrip(address, minSends: mailbox.mailbox.effectiveGuardrails.minSends) else { continue }
            switch try ReputationGuard.mailbox(db, mailbox, now: instant) {
            case .paused(let reason):
                mailboxes[address] = try MailboxQueries.find(db, address: address)
                logger.warning("mailbox \(address) paused by its guardrails: \(reason)")
            case .clear(let sends):
                noteGuardrailCheck(address, sends: sends)
            }
        }
    }

    /// The campaign's own guardrails, before a group dispatches; the reason when it paused now.
    func campaignGuardrailStop(_ db: any SQLConnection) throws -> String? {
        let guardrails = campaign.effectiveGuardrails
        let key = "campaign"
        guard guardrailsMayTrip(key, minSends: guardrails.minSends) else { return nil }
        switch try ReputationGuard.campaign(db, id: campaignID, guardrails: guardrails, now: now) {
        case .paused(let reason):
            return reason
        case .clear(let sends):
            noteGuardrailCheck(key, sends: sends)
            return nil
        }
    }

    /// Rates fall as sends grow, so once a check found at least `minSends` sends and no
    /// breach, only new feedback could trip it, and the importer reviews that itself. Below
    /// `minSends`, the check is repeated once this run's dispatches could have reached it.
    /// With no event in the window (sends not counted) it is repeated every group: then it
    /// costs one index lookup of `reputation_events`.
    private func guardrailsMayTrip(_ key: String, minSends: Int) -> Bool {
        guard let last = guardrailChecks[key] else { return true }
        return last.sends < minSends && last.sends + (counters.dispatched - last.dispatched) >= minSends
    }

    private func noteGuardrailCheck(_ key: String, sends: Int?) {
        guardrailChecks[key] = sends.map { ($0, counters.dispatched) }
    }

    /// The sender for `lead`: the one it has (SPEC §12: a lead keeps its mailbox), or at its
    /// first message the campaign's sender with the most capacity left today that can send
    /// now (ties in file order). An address without a mailbox has no limit.
    func chooseSender(for lead: Lead) -> SenderVerdict {
        let instant = now
        if let address = lead.sender {
            let from = campaign.sender.from(address: address) ?? address
            guard let mailbox = mailboxes[address] else { return .send(SenderChoice(from: from, address: address, mailbox: nil)) }
            switch mailbox.availability(at: instant) {
            case .ready: return .send(SenderChoice(from: from, address: address, mailbox: mailbox))
            case let other: return postponement(for: mailbox, other, recheck: Self.pausedMailboxRecheck)
            }
        }
        if let address = SenderRotation.pick(senderAddresses, mailboxes: mailboxes, at: instant),
           let sender = senders.first(where: { $0.address == address }) {
            return .send(SenderChoice(from: sender.from, address: address, mailbox: mailboxes[address]))
        }
        // Every sender is a mailbox that cannot send now: wait for the first that can.
        let waiting = senders.compactMap { mailboxes[$0.address] }
        let first = waiting.min { slot(of: $0, at: instant) < slot(of: $1, at: instant) }
        guard let first else {
            return .postpone(.skippedMailboxPaused, until: instant.addingTimeInterval(Self.unassignedRecheck), reason: "no sender can send")
        }
        return postponement(for: first, first.availability(at: instant), recheck: Self.unassignedRecheck)
    }

    /// When the next lead waiting for `mailbox` could go (a paused one: never, as far as we know).
    private func slot(of mailbox: StoredMailbox, at instant: Date) -> Date {
        if case .paused = mailbox.availability(at: instant) { return .distantFuture }
        return mailbox.estimatedSlot(position: mailboxQueue[mailbox.address, default: 0], at: instant)
    }

    /// A lead that must wait for `mailbox`: until its estimated slot behind the leads this
    /// run already put in its queue (so they do not all come back at the same instant).
    private func postponement(for mailbox: StoredMailbox, _ availability: MailboxAvailability, recheck: TimeInterval) -> SenderVerdict {
        let instant = now
        let address = mailbox.address
        switch availability {
        case .paused(let reason):
            return .postpone(.skippedMailboxPaused, until: instant.addingTimeInterval(recheck),
                             reason: "mailbox \(address) is paused" + (reason.map { ": \($0)" } ?? ""))
        case .cap(_, let allowance):
            let slot = mailbox.estimatedSlot(position: mailboxQueue[address, default: 0], at: instant)
            mailboxQueue[address, default: 0] += 1
            let day = Mailbox.warmupDay(mailbox.mailbox.day(of: instant), firstSendDay: mailbox.firstSendDay)
            let warm = mailbox.mailbox.warmup == nil || allowance >= mailbox.mailbox.dailyCap ? "" : " (warm-up day \(day))"
            return .postpone(.skippedMailboxCap, until: slot,
                             reason: "mailbox \(address) sent its \(allowance) allowed today\(warm); next send expected \(Timestamp.format(slot))")
        case .gap(let until):
            let slot = max(until, mailbox.estimatedSlot(position: mailboxQueue[address, default: 0], at: instant))
            mailboxQueue[address, default: 0] += 1
            return .postpone(.skippedMailboxGap, until: slot,
                             reason: "mailbox \(address) must wait until \(Timestamp.format(until)) between sends; next send expected \(Timestamp.format(slot))")
        case .ready:
            return .postpone(.skippedMailboxGap, until: instant, reason: "mailbox \(address) is ready")
        }
    }

    /// Counts a send against the chosen mailbox (the conditional update) and writes its
    /// ledger row. False when the mailbox could not send after all (nothing was written).
    func claimMailbox(_ db: any SQLConnection, _ choice: SenderChoice, jobKey: String) throws -> MailboxClaim? {
        guard let mailbox = choice.mailbox else { return MailboxClaim(mailboxID: nil, day: "", allowance: 0, nextAllowedAt: "") }
        let instant = now
        let day = mailbox.mailbox.day(of: instant)
        let next = Timestamp.format(mailbox.mailbox.nextSendAt(after: instant, key: jobKey))
        guard let allowance = try MailboxQueries.claim(db, mailboxID: mailbox.id, day: day, now: stamps.format(instant), nextSendAt: next)
        else {
            mailboxes[choice.address] = try MailboxQueries.find(db, address: choice.address)
            return nil
        }
        var updated = mailbox
        updated.sentToday = mailbox.sent(on: day) + 1
        updated.day = day
        updated.firstSendDay = mailbox.firstSendDay ?? day
        updated.lastSendAt = instant
        updated.nextSendAt = Timestamp.parse(next)
        mailboxes[choice.address] = updated
        return MailboxClaim(mailboxID: mailbox.id, day: day, allowance: allowance, nextAllowedAt: next)
    }

    /// The ledger row of a claimed mailbox send, once its job exists.
    func recordMailboxSend(_ db: any SQLConnection, _ claim: MailboxClaim, jobID: Int64, attempt: Int) throws {
        guard let mailboxID = claim.mailboxID else { return }
        try MailboxQueries.recordSend(db, mailboxID: mailboxID, jobID: jobID, attempt: attempt, campaignID: campaignID, day: claim.day,
                                      sentAt: stamps.format(now), allowance: claim.allowance, nextAllowedAt: claim.nextAllowedAt)
    }

    /// The message a threaded step replies to: the lead's latest message that went out (or
    /// may have).
    func threadParent(_ db: any SQLConnection, leadID: Int64) throws -> MessageBuilder.ThreadParent? {
        guard let json = try TickQueries.latestMessage(db, leadID: leadID) else { return nil }
        let parent = try OutgoingMessage.fromStoredJSON(json)
        return .init(subject: parent.subject, messageID: parent.messageID, references: parent.references)
    }
}

/// A send counted against a mailbox (or, with no mailbox, nothing to count).
struct MailboxClaim {
    let mailboxID: Int64?
    let day: String
    let allowance: Int
    let nextAllowedAt: String
}
