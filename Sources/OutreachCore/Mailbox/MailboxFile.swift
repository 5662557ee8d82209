import Foundation
import Yams

/// Reads a mailbox file (YAML, SPEC §12) into validated `Mailbox`es.
///
/// Like campaign files, every problem is one sentence with the file, the line and the dotted
/// key (`mailboxes.yaml:7: mailboxes[1].daily_cap: …`), exit 78, and nothing is written:
/// `mailbox apply` reads the whole file before it touches the database.
public enum MailboxFile {
    /// The documented bounds: a cap beyond 10,000 a day is not a cold-outreach mailbox, and
    /// a gap or jitter longer than a day would never let a daily cap be reached.
    public enum Bounds {
        public static let maxDailyCap = 10_000
        public static let maxGapSeconds = 86_400
    }

    public static func load(path: String) throws -> [Mailbox] {
        try parse(try YAMLReader.text(path: path, kind: "mailbox file"), file: (path as NSString).lastPathComponent)
    }

    public static func parse(_ text: String, file: String) throws -> [Mailbox] {
        guard let root = try YAMLReader.compose(text, file: file) else {
            throw OutreachError.configuration("\(file): the mailbox file is empty; it needs a `mailboxes:` list.")
        }
        return try YAMLReader(file: file).mailboxes(root)
    }
}

extension YAMLReader {
    func mailboxes(_ root: Node) throws -> [Mailbox] {
        let map = try mapping(root, "", allowed: ["mailboxes"])
        guard let listNode = map["mailboxes"], case .sequence(let items) = listNode, !items.isEmpty else {
            throw fail(map["mailboxes"] ?? root, "mailboxes", "expected a non-empty list of mailboxes, each with address, timezone and daily_cap.")
        }
        var seen: [String: Int] = [:]
        return try items.enumerated().map { index, node in
            let mailbox = try self.mailbox(node, path: "mailboxes[\(index)]")
            if let earlier = seen[mailbox.address] {
                throw fail(node, "mailboxes[\(index)].address", "\(mailbox.address) is already listed as mailboxes[\(earlier)]; list each mailbox once.")
            }
            seen[mailbox.address] = index
            return mailbox
        }
    }

    func mailbox(_ node: Node, path: String) throws -> Mailbox {
        let map = try mapping(node, path, allowed: ["address", "timezone", "daily_cap", "warmup", "min_gap", "jitter", "guardrails"])
        let raw = try requiredString(map, "address", path, parent: node)
        let address = EmailAddress.normalize(raw)
        if let problem = EmailAddress.problem(address) {
            throw fail(map["address"], "\(path).address", "\(problem); write the bare address, like ada@example.com.")
        }
        let zone = try timeZone(map["timezone"], try requiredString(map, "timezone", path, parent: node), "\(path).timezone")
        guard map["daily_cap"] != nil else { throw fail(node, "\(path).daily_cap", "is required: how many messages the mailbox may send per day.") }
        let cap = try int(map, "daily_cap", path, default: 0, minimum: 1)
        guard cap <= MailboxFile.Bounds.maxDailyCap else {
            throw fail(map["daily_cap"], "\(path).daily_cap", "\(cap) a day is not a mailbox limit; give at most \(MailboxFile.Bounds.maxDailyCap).")
        }
        var warmup: Mailbox.Warmup?
        if let warmupNode = map["warmup"] {
            let warmupPath = "\(path).warmup"
            let ramp = try mapping(warmupNode, warmupPath, allowed: ["start", "increase"])
            guard ramp["start"] != nil else { throw fail(warmupNode, "\(warmupPath).start", "is required: the sends allowed on the first day.") }
            let start = try int(ramp, "start", warmupPath, default: 0, minimum: 1)
            let increase = try int(ramp, "increase", warmupPath, default: 0, minimum: 0)
            guard start <= cap else {
                throw fail(ramp["start"], "\(warmupPath).start", "\(start) is more than daily_cap (\(cap)); a warm-up starts below the cap.")
            }
            warmup = .init(start: start, increase: increase)
        }
        let gap = try duration(map, "min_gap", path, default: 0)
        guard gap <= MailboxFile.Bounds.maxGapSeconds else {
            throw fail(map["min_gap"], "\(path).min_gap", "is longer than a day; a gap that long would never let the mailbox reach a daily cap.")
        }
        let jitter = try duration(map, "jitter", path, default: 0)
        guard jitter <= MailboxFile.Bounds.maxGapSeconds else {
            throw fail(map["jitter"], "\(path).jitter", "is longer than a day; keep it well under min_gap's scale (like 5m).")
        }
        return Mailbox(address: address, timezone: zone, dailyCap: cap, warmup: warmup, minGapSeconds: gap, jitterSeconds: jitter,
                       guardrails: try map["guardrails"].map { try guardrails($0, path: "\(path).guardrails") })
    }

    /// `guardrails: { hard_bounce_rate: 5%, complaint_rate: 0.3%, min_sends: 50, window: 7d }`,
    /// each key optional (the defaults fill in).
    func guardrails(_ node: Node, path: String) throws -> Guardrails {
        let map = try mapping(node, path, allowed: ["hard_bounce_rate", "complaint_rate", "min_sends", "window"])
        let defaults = Guardrails.defaults
        let window = try duration(map, "window", path, default: defaults.windowSeconds)
        guard window >= 3600 else { throw fail(map["window"], "\(path).window", "must be at least 1h, so that rates count enough sends.") }
        return Guardrails(
            hardBounceRate: try rate(map, "hard_bounce_rate", path, default: defaults.hardBounceRate),
            complaintRate: try rate(map, "complaint_rate", path, default: defaults.complaintRate),
            minSends: try int(map, "min_sends", path, default: defaults.minSends, minimum: 1),
            windowSeconds: window)
    }

    /// A percentage like `5%` or `0.3%`, as a fraction; above 0 and at most 100.
    func rate(_ map: [String: Node], _ key: String, _ path: String, default value: Double) throws -> Double {
        guard let node = map[key] else { return value }
        let text = (node.string ?? "").trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix("%"), let number = Double(text.dropLast().trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw fail(node, "\(path).\(key)", "'\(node.string ?? "a structure")' is not a percentage; write it like 5% or 0.3%.")
        }
        guard number > 0, number <= 100 else {
            throw fail(node, "\(path).\(key)", "must be above 0% and at most 100% (100% turns the check off), got \(text).")
        }
        return number / 100
    }
}
