import Foundation

/// Imports delivery feedback from `.jsonl` or `.csv` (SPEC §3 `events import`).
///
/// Each event is keyed by its id, so importing a file again changes nothing. The effects:
/// a reply stops the lead (`replied`); an auto-reply pushes the next step back by the
/// campaign's `events.auto_reply_delay` (default 3 days); a hard bounce suppresses the
/// address and marks its leads `bounced`; a soft bounce is counted and the third in a row
/// counts as hard; a complaint unsubscribes everywhere and suppresses; an unsubscribe is
/// recorded (for one campaign when the event names it). List entries carry the import time,
/// the moment outreach learned of them, and the event id in their source or reason.
/// Events for addresses no campaign has are counted, not errors.
public struct EventImporter: Sendable {
    /// What an import did.
    public struct Report: Sendable, Equatable {
        public var events = 0
        public var imported = 0
        public var alreadyImported = 0
        public var unknownAddresses = 0
        public var rejected = 0
        public var replied = 0
        public var held = 0
        public var bounced = 0
        public var softBounces = 0
        public var unsubscribed = 0
        public var suppressed = 0
        /// Events naming a person `leads forget` erased: skipped, never stored (SPEC §14).
        public var forgotten = 0
        /// Campaigns and mailboxes the guardrails paused after this feedback (SPEC §12).
        public var autoPaused: [String] = []
        /// Whose hard bounces and complaints changed, for the review at the end.
        var affected = ReputationGuard.Affected()

        /// Runs the guardrails over what this feedback touched (once per transaction).
        mutating func reviewGuardrails(_ db: any SQLConnection, now: Date) throws {
            guard !affected.isEmpty else { return }
            autoPaused += try ReputationGuard.review(db, affected, now: now)
            affected = .init()
        }
    }

    /// What became of one event.
    enum Applied {
        case applied, alreadyImported, forgotten
    }

    /// Soft bounces in a row that count as a hard bounce.
    public static let softBounceLimit = 3

    let store: Store
    let clock: any WallClock

    public init(store: Store, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// Imports the events of `path` (its extension picks the format).
    public func run(path: String, rejectsPath: String? = nil) throws -> Report {
        let file = (path as NSString).lastPathComponent
        let format = (path as NSString).pathExtension.lowercased()
        guard format == "jsonl" || format == "csv" else {
            throw OutreachError.usage("\(file): events come as .jsonl (one JSON object per line) or .csv; rename the file to say which.")
        }
        var source = try EventSource(path: path, file: file, jsonLines: format == "jsonl")
        let problems = try ImportProblems(file: file, rejectsPath: rejectsPath)
        try problems.begin(columns: source.columns)
        var report = Report()
        try problems.transaction(store, what: "event") { db in
            let now = clock.now()
            var campaigns: [String: StoredCampaign?] = [:]
            while let (line, parsed, fields) = try source.next() {
                report.events += 1
                switch parsed {
                case .failure(let problem):
                    report.rejected += 1
                    try problems.add(line: line, problem.message, fields: fields)
                case .success(let event):
                    var campaign: StoredCampaign?
                    if let slug = event.campaignSlug {
                        if campaigns[slug] == nil { campaigns[slug] = try CampaignQueries.find(db, slug: slug) }
                        guard let found = campaigns[slug]! else {
                            report.rejected += 1
                            try problems.add(line: line, "there is no campaign '\(EmailAddress.printable(slug))'", fields: fields)
                            continue
                        }
                        campaign = found
                    }
                    try apply(db, event, campaign: campaign, now: now, report: &report)
                }
            }
            try report.reviewGuardrails(db, now: now)
        }
        return report
    }

    /// Applies events that arrived another way (`serve`'s provider webhooks), in one
    /// transaction, with the same effects and the same idempotency as a file import.
    public func record(_ events: [FeedbackEvent]) throws -> Report {
        var report = Report()
        try store.write("recording \(events.count) webhook event(s)") { db in
            let now = clock.now()
            for event in events {
                report.events += 1
                try apply(db, event, campaign: nil, now: now, report: &report)
            }
            try report.reviewGuardrails(db, now: now)
        }
        return report
    }

    /// The effects of one event (shared with `MailImporter`).
    @discardableResult
    func apply(_ db: any SQLConnection, _ event: FeedbackEvent, campaign: StoredCampaign?, now: Date, report: inout Report) throws -> Applied {
        if try ForgetQueries.isForgotten(db, email: event.email) {
            report.forgotten += 1
            return .forgotten
        }
        guard try FeedbackQueries.record(db, event, campaignID: campaign?.id, now: now) else {
            report.alreadyImported += 1
            return .alreadyImported
        }
        report.imported += 1
        let leads = try FeedbackQueries.leads(db, email: event.email, campaignID: campaign?.id)
        if leads.isEmpty { report.unknownAddresses += 1 }
        try FeedbackQueries.setMatched(db, eventID: event.id, count: leads.count)
        let tag = "event \(event.id) at \(Timestamp.format(event.at))"
        switch event.kind {
        case .reply:
            for lead in leads {
                try FeedbackQueries.resetSoftBounces(db, leadID: lead.id)
                if lead.status == .new || lead.status == .active {
                    try FeedbackQueries.stop(db, leadID: lead.id, status: .replied, reason: "replied (\(tag))", now: now)
                    report.replied += 1
                }
            }
        case .autoReply:
            for lead in leads {
                try FeedbackQueries.resetSoftBounces(db, leadID: lead.id)
                let delay = try autoReplyDelay(db, campaignID: lead.campaignID)
                if try FeedbackQueries.hold(db, leadID: lead.id, until: event.at.addingTimeInterval(Double(delay)), now: now) {
                    report.held += 1
                }
            }
        case .bounce where event.bounce == .soft:
            var hard = false
            for lead in leads {
                report.softBounces += 1
                if try FeedbackQueries.countSoftBounce(db, leadID: lead.id) >= Self.softBounceLimit { hard = true }
            }
            if hard { try hardBounce(db, event, leads: leads, reason: "\(Self.softBounceLimit) soft bounces in a row, the last \(tag)", now: now, report: &report) }
        case .bounce:
            try hardBounce(db, event, leads: leads, reason: "hard bounce (\(tag))", now: now, report: &report)
        case .complaint:
            try ReputationGuard.record(db, eventID: event.id, kind: .complaint, leads: leads, at: event.at, into: &report.affected)
            if try ListQueries.addUnsubscribe(db, email: event.email, campaignID: nil, source: "complaint (\(tag))", now: now) {
                report.unsubscribed += 1
            }
            if try ListQueries.addSuppression(db, kind: .email, value: event.email, reason: "complaint (\(tag))", until: nil, now: now) != .unchanged {
                report.suppressed += 1
            }
        case .unsubscribe:
            if try ListQueries.addUnsubscribe(db, email: event.email, campaignID: campaign?.id, source: "unsubscribe (\(tag))", now: now) {
                report.unsubscribed += 1
            }
        }
        return .applied
    }

    private func hardBounce(_ db: any SQLConnection, _ event: FeedbackEvent, leads: [Lead], reason: String, now: Date, report: inout Report) throws {
        try ReputationGuard.record(db, eventID: event.id, kind: .hardBounce, leads: leads, at: event.at, into: &report.affected)
        if try ListQueries.activeSuppression(db, kind: .email, value: event.email) == nil {
            _ = try ListQueries.addSuppression(db, kind: .email, value: event.email, reason: reason, until: nil, now: now)
            report.suppressed += 1
        }
        for lead in leads where lead.status == .new || lead.status == .active {
            try FeedbackQueries.stop(db, leadID: lead.id, status: .bounced, reason: reason, now: now)
            report.bounced += 1
        }
    }

    private func autoReplyDelay(_ db: any SQLConnection, campaignID: Int64) throws -> Int {
        try CampaignQueries.find(db, id: campaignID)?.campaign.events.autoReplyDelaySeconds ?? CampaignFile.Defaults.autoReplyDelaySeconds
    }
}

/// Events from a `.jsonl` or `.csv` file, each with its line number.
private struct EventSource {
    static let columns = ["id", "type", "email", "campaign", "at", "bounce", "bounce_type", "kind"]
    private var csv: KeyedCSV?
    private var lines: LineReader?
    let columns: [String]

    init(path: String, file: String, jsonLines: Bool) throws {
        if jsonLines {
            lines = try LineReader(path: path)
            columns = ["json"]
        } else {
            let keyed = try KeyedCSV(path: path, file: file, required: ["id", "type", "email", "at"], allowed: Self.columns,
                                     ignoringOthers: true)
            csv = keyed
            columns = keyed.header
        }
    }

    mutating func next() throws -> (line: Int, event: Result<FeedbackEvent, RowProblem>, fields: [String])? {
        if csv != nil {
            guard let (line, values, fields) = try csv!.next() else { return nil }
            return (line, try values.flatMap(FeedbackEvent.parse), fields)
        }
        while let (line, text) = try lines!.next() {
            if TextTrimming.trimmedSpaces(text).isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                return (line, .failure(RowProblem(message: "not a JSON object")), [text])
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case let string as String: values[key.lowercased()] = string
                case is NSNull: continue
                default: values[key.lowercased()] = "\(value)"
                }
            }
            return (line, FeedbackEvent.parse(values), [text])
        }
        return nil
    }
}

/// Reads a UTF-8 text file line by line (LF or CRLF) in 64 KiB chunks, with line numbers.
struct LineReader {
    private let handle: FileHandle
    private let path: String
    private var buffer: [UInt8] = []
    private var atEnd = false
    private var line = 0

    init(path: String) throws {
        handle = try InputFile.open(path)
        self.path = path
    }

    mutating func next() throws -> (Int, String)? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var bytes = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if bytes.last == 0x0D { bytes.removeLast() }
                return try decode(bytes)
            }
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return try decode(buffer)
            }
            let data: Data
            do {
                data = try handle.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw InputFile.readFailure(path, error)
            }
            if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
        }
    }

    private mutating func decode(_ bytes: [UInt8]) throws -> (Int, String) {
        line += 1
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw OutreachError.badInput("line \(line) is not valid UTF-8 text; nothing was imported.")
        }
        return (line, text)
    }
}
