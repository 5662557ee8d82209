import Foundation
import OutreachMail

/// `outreach events import-mail PATH...` (SPEC §11): delivery feedback read from a mailbox.
///
/// Each message is classified by `OutreachMail` (bounce, complaint, auto-reply, human
/// message, success notice) and matched to what outreach sent: first by the Message-IDs and
/// `X-Outreach-Key` outreach itself wrote (`outreach.<installation>.<key>@…`), which name one
/// job and so one lead of one campaign; else by address to a lead that was contacted. The
/// effects are exactly those of `events import` (the same `EventImporter.apply`), keyed by
/// the message's Message-ID (or its bytes' hash), so importing a message again changes nothing.
/// Nothing in a message can make outreach contact anyone: every effect stops, holds,
/// unsubscribes or suppresses, and only for addresses a lead has.
public struct MailImporter {
    /// One message's outcome, for the per-message output.
    public struct Line: Sendable, Equatable {
        public var file: String
        public var kind: String
        public var email: String?
        public var campaign: String?
        public var jobID: Int64?
        public var action: String
    }

    /// What an import did.
    public struct Report: Sendable {
        public var lines: [Line] = []
        public var events = EventImporter.Report()
        public var messages: Int { lines.count }
        public var dryRun = false
    }

    let store: Store
    let clock: any WallClock
    /// The effects of `events import`, applied to what the messages prove.
    let events: EventImporter

    public init(store: Store, clock: any WallClock) {
        self.store = store
        self.clock = clock
        events = EventImporter(store: store, clock: clock)
    }

    /// Imports every message under the paths (Maildirs, mbox files, single messages), in one
    /// transaction; with `dryRun` it is rolled back after the report is made.
    public func run(paths: [String], dryRun: Bool = false) throws -> Report {
        var sources: [MailSource] = []
        for path in paths {
            do {
                sources.append(try MailSource(path: path))
            } catch {
                throw OutreachError.inputMissing(error.description)
            }
        }
        var report = Report()
        report.dryRun = dryRun
        try store.withTransactions(rollback: dryRun, "importing mail") { scope in
            try scope.write("importing mail") { db in
                let context = try MatchContext(db)
                let now = clock.now()
                for source in sources {
                    do {
                        try source.forEach { name, bytes in
                            let file = [.maildir, .folder].contains(source.layout) ? (source.path as NSString).appendingPathComponent(name) : name
                            report.lines += try importMessage(db, name: file, bytes: bytes, context: context, now: now,
                                                              events: &report.events)
                        }
                    } catch let error as MailSourceError {
                        if case .noMessages = error { throw OutreachError.inputMissing(error.description) }
                        throw OutreachError.io(error.description)
                    }
                }
                try report.events.reviewGuardrails(db, now: now)
            }
        }
        return report
    }

    private func importMessage(_ db: any SQLConnection, name: String, bytes: Data, context: MatchContext, now: Date,
                               events: inout EventImporter.Report) throws -> [Line] {
        let mail = MailClassifier.classify(bytes)
        // Keyed by Message-ID (or, without one, the bytes), so a re-import changes nothing.
        let identity = mail.messageID.flatMap { $0.isEmpty ? nil : $0 } ?? "sha256:" + SHA256Digest.hex(of: bytes)
        let baseID = "mail:" + (identity.count <= 180 ? identity : "sha256:" + SHA256Digest.hex(of: identity))
        let at = mail.date ?? now
        var line = Line(file: name, kind: Self.kindName(mail.kind), email: nil, campaign: nil, jobID: nil, action: "")
        for problem in mail.problems.prefix(3) { line.action += "warning: \(problem); " }

        switch mail.kind {
        case .delivered:
            line.kind = "other"
            line.action += "none (a delivery notice)"
            return [line]

        case .bounce:
            let job = try context.job(db, ids: [mail.originalMessageID].compactMap { $0 }, key: mail.outreachKey)
            var lines: [Line] = []
            // A bounce naming no recipient but quoting our message is about that lead (soft: no status).
            var recipients = mail.recipients
            if recipients.isEmpty, let job {
                recipients = [FailedRecipient(address: job.email, status: "", replyCode: "", diagnostic: "", hard: false)]
            }
            for (index, recipient) in recipients.enumerated() {
                var each = line
                let address = EmailAddress.normalize(recipient.address)
                each.email = address
                // A DSN proves something only about addresses outreach writes to.
                guard EmailAddress.problem(address) == nil, try context.isLead(db, email: address) else {
                    each.action += "none: no lead has this address"
                    lines.append(each)
                    continue
                }
                let matched = job.flatMap { $0.email == address ? $0 : nil }
                each.campaign = matched?.slug
                each.jobID = matched?.jobID
                let event = FeedbackEvent(id: recipients.count == 1 ? baseID : "\(baseID)#\(index + 1)", kind: .bounce,
                                          bounce: recipient.hard ? .hard : .soft, email: address, campaignSlug: matched?.slug, at: at)
                each.action += try apply(db, event, campaignID: matched?.campaignID, now: now, events: &events,
                                         done: recipient.hard ? "suppressed (hard bounce \(recipient.status.isEmpty ? "" : recipient.status + ", "))"
                                                              : "counted (soft bounce\(recipient.status.isEmpty ? "" : " " + recipient.status))")
                lines.append(each)
            }
            if lines.isEmpty {
                line.action += "none: no failed recipient found"
                lines.append(line)
            }
            return lines

        case .complaint:
            let job = try context.job(db, ids: [mail.originalMessageID].compactMap { $0 }, key: mail.outreachKey)
            let address = job?.email ?? mail.originalRecipient.map(EmailAddress.normalize) ?? mail.recipients.first.map { EmailAddress.normalize($0.address) }
            line.email = address
            line.campaign = job?.slug
            line.jobID = job?.jobID
            guard let address, EmailAddress.problem(address) == nil, try context.isLead(db, email: address) else {
                line.action += "none: the complained recipient is not a lead"
                return [line]
            }
            let event = FeedbackEvent(id: baseID, kind: .complaint, bounce: nil, email: address, campaignSlug: nil, at: at)
            line.action += try apply(db, event, campaignID: nil, now: now, events: &events, done: "unsubscribed and suppressed")
            return [line]

        case .autoReply, .message:
            let isAuto = mail.kind == .autoReply
            var job = try context.job(db, ids: mail.inReplyTo + mail.references, key: nil)
            var address = job?.email
            if job == nil, let from = mail.from.map(EmailAddress.normalize), try context.wasContacted(db, email: from) {
                address = from
            }
            // A human message is a reply only when it answers something outreach sent.
            guard let address else {
                line.kind = isAuto ? "auto_reply" : "other"
                line.email = mail.from.map(EmailAddress.normalize)
                line.action += isAuto ? "none: not an answer to a lead outreach contacted" : "none"
                return [line]
            }
            if let matched = job, matched.email != address { job = nil }
            line.kind = isAuto ? "auto_reply" : "reply"
            line.email = address
            line.campaign = job?.slug
            line.jobID = job?.jobID
            let event = FeedbackEvent(id: baseID, kind: isAuto ? .autoReply : .reply, bounce: nil, email: address,
                                      campaignSlug: job?.slug, at: at)
            line.action += try apply(db, event, campaignID: job?.campaignID, now: now, events: &events,
                                     done: isAuto ? "held (next step waits)" : "stopped the sequence")
            return [line]
        }
    }

    /// Applies one event like `events import`; the action in words.
    private func apply(_ db: any SQLConnection, _ event: FeedbackEvent, campaignID: Int64?, now: Date, events: inout EventImporter.Report,
                       done: String) throws -> String {
        let campaign = try campaignID.flatMap { try CampaignQueries.find(db, id: $0) }
        switch try self.events.apply(db, event, campaign: campaign, now: now, report: &events) {
        case .applied: return done
        case .alreadyImported: return "none (already imported)"
        case .forgotten: return "none (a forgotten person)"
        }
    }

    static func kindName(_ kind: MailKind) -> String {
        switch kind {
        case .bounce: "bounce"
        case .complaint: "complaint"
        case .autoReply: "auto_reply"
        case .delivered, .message: "other"
        }
    }
}

/// Finds what outreach sent from the ids a message quotes.
struct MatchContext {
    /// A job outreach sent, as a message can name it.
    struct SentJob: Equatable {
        let jobID: Int64
        let campaignID: Int64
        let slug: String
        let email: String
    }

    let installationID: String

    init(_ db: any SQLConnection) throws {
        installationID = try SafetyQueries.installationID(db)
    }

    /// The first of `ids` (Message-IDs) or `key` (X-Outreach-Key) that names a job of this
    /// installation. A Message-ID in outreach's form but of another installation, or naming no
    /// job, matches nothing.
    func job(_ db: any SQLConnection, ids: [String], key: String?) throws -> SentJob? {
        var keys: [String] = []
        if let key, let bare = Self.bareKey(fromExternal: key, installationID: installationID) { keys.append(bare) }
        for id in ids { if let bare = Self.bareKey(fromMessageID: id, installationID: installationID) { keys.append(bare) } }
        for key in keys {
            if let row = try SQLRecord.fetchOne(db, sql: """
                SELECT j.id, j.campaign_id, c.slug, l.email FROM jobs j JOIN leads l ON l.id = j.lead_id
                JOIN campaigns c ON c.id = j.campaign_id WHERE j.idempotency_key = ?
                """, arguments: [key]) {
                return SentJob(jobID: row[0], campaignID: row[1], slug: row[2], email: row[3])
            }
        }
        return nil
    }

    /// `outreach.<installation>.<campaign>.<lead>.<step id>.<index>@domain` → `campaign:lead:step:index`.
    static func bareKey(fromMessageID id: String, installationID: String) -> String? {
        let trimmed = id.trimmingCharacters(in: CharacterSet(charactersIn: "<> \t"))
        guard let at = trimmed.lastIndex(of: "@") else { return nil }
        let local = trimmed[..<at]
        let prefix = "outreach." + installationID + "."
        guard local.hasPrefix(prefix) else { return nil }
        let parts = local.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, Int64(parts[0]) != nil, Int64(parts[1]) != nil, Int(parts[parts.count - 1]) != nil else { return nil }
        let step = parts[2..<(parts.count - 1)].joined(separator: ".")
        return [parts[0], parts[1], step, parts[parts.count - 1]].joined(separator: ":")
    }

    /// `<installation>:<key>` (X-Outreach-Key) → the key, when the installation is ours.
    static func bareKey(fromExternal value: String, installationID: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix(installationID + ":") else { return nil }
        return String(trimmed.dropFirst(installationID.count + 1))
    }

    /// True when some campaign has a lead with this address.
    func isLead(_ db: any SQLConnection, email: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM leads WHERE email = ?)", arguments: [email]) ?? false
    }

    /// True when some campaign has contacted a lead with this address.
    func wasContacted(_ db: any SQLConnection, email: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM leads WHERE email = ? AND last_contacted_at IS NOT NULL)",
                          arguments: [email]) ?? false
    }
}
