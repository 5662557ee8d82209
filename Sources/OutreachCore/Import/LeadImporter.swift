import Foundation

/// Imports a lead CSV into a campaign (SPEC §3 `leads import`).
///
/// The import is one transaction. Without a rejects file it is all-or-nothing: any invalid
/// row fails the whole import with line numbers and writes nothing. With a rejects file,
/// valid rows are imported and every invalid row goes to that file with its line and reason.
/// Re-importing a lead updates its details and attributes but never its progress, and never
/// clears a do-not-contact flag.
public struct LeadImporter {
    /// What the caller asked for.
    public struct Options: Sendable {
        public var dryRun = false
        public var rejectsPath: String?
        public init(dryRun: Bool = false, rejectsPath: String? = nil) {
            self.dryRun = dryRun
            self.rejectsPath = rejectsPath
        }
    }

    /// What happened, for the one-line summary.
    public struct Report: Sendable, Equatable {
        public var rows = 0
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        /// Rows that repeat an earlier row of the same file exactly.
        public var repeated = 0
        public var rejected = 0
        /// Rows naming a person `leads forget` erased: skipped, never stored (SPEC §14).
        public var forgotten = 0
        public var dryRun = false
    }

    let store: Store
    let clock: any WallClock

    public init(store: Store, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// Imports `path` into the campaign `slug`.
    public func run(slug: String, path: String, options: Options = .init()) throws -> Report {
        var reader = try CSVReader(path: path)
        let file = (path as NSString).lastPathComponent
        let problems = try ImportProblems(file: file, rejectsPath: options.rejectsPath)
        var report = Report()
        try problems.transaction(store, what: "row", dryRun: options.dryRun) { db in
            let campaign = try CampaignQueries.require(db, slug: slug)
            report = try self.importRows(db, campaignID: campaign.id, reader: &reader, file: file, problems: problems)
            report.dryRun = options.dryRun
        }
        return report
    }

    private func importRows(_ db: any SQLConnection, campaignID: Int64, reader: inout CSVReader, file: String,
                            problems: ImportProblems) throws -> Report {
        guard let headerRecord = try readRecord(&reader, file: file) else {
            throw OutreachError.badInput("\(file) is empty; it needs a header line with at least an email column.")
        }
        let header = try LeadCSVHeader(headerRecord.fields, file: file)
        try problems.begin(columns: header.names)
        let writer = LeadUpsert(db: db, campaignID: campaignID, now: clock.now())
        var report = Report()
        var seen: [String: (line: Int, fingerprint: Int)] = [:]
        let forgotten = try ForgetQueries.hashes(db)
        while let record = try readRecord(&reader, file: file) {
            report.rows += 1
            switch header.parse(record) {
            case .failure(let problem):
                report.rejected += 1
                try problems.add(line: record.line, problem.message, fields: record.fields)
            case .success(let row):
                if !forgotten.isEmpty, forgotten.contains(ForgetQueries.hash(row.email)) {
                    report.forgotten += 1
                    continue
                }
                if let earlier = seen[row.email] {
                    if earlier.fingerprint == row.fingerprint {
                        report.repeated += 1
                    } else {
                        report.rejected += 1
                        try problems.add(line: record.line, "\(row.email) is also on line \(earlier.line) with different values",
                                         fields: record.fields)
                    }
                    continue
                }
                seen[row.email] = (record.line, row.fingerprint)
                switch try writer.upsert(row, source: "\(file) line \(record.line)") {
                case .inserted: report.inserted += 1
                case .updated: report.updated += 1
                case .unchanged: report.unchanged += 1
                }
            }
        }
        return report
    }

    private func readRecord(_ reader: inout CSVReader, file: String) throws -> CSVRecord? {
        do {
            return try reader.next()
        } catch let error as CSVSyntaxError {
            // A broken quote makes the rest of the file unreadable: there is no way to resynchronise.
            throw OutreachError.badInput("\(file) line \(error.line): \(error.problem); nothing was imported.")
        }
    }
}

/// One validated lead row.
struct LeadRow {
    var email: String
    var firstName: String?
    var lastName: String?
    var company: String?
    var timezone: String?
    var dnc: Bool
    /// Attributes of this file's extra columns; an empty cell removes the attribute.
    var attributes: [String: String]
    /// Equal for rows with equal values (to tell repeats from conflicts).
    var fingerprint: Int
}

/// Why one row was refused.
struct RowProblem: Error {
    let message: String
}

/// The header of a lead CSV: which column is which.
struct LeadCSVHeader {
    static let known = ["email", "first_name", "last_name", "company", "timezone", "dnc"]
    let names: [String]
    private var index: [String: Int] = [:]
    private var attributeColumns: [(name: String, index: Int)] = []

    init(_ fields: [String], file: String) throws {
        names = fields.map(TextTrimming.trimmedSpaces)
        for (position, name) in names.enumerated() {
            guard !name.isEmpty else {
                throw OutreachError.badInput("\(file) line 1: column \(position + 1) of the header has no name; name every column.")
            }
            let key = Self.known.contains(name.lowercased()) ? name.lowercased() : name
            guard index[key] == nil else {
                throw OutreachError.badInput("\(file) line 1: the column '\(EmailAddress.printable(name))' appears twice in the header.")
            }
            index[key] = position
            if !Self.known.contains(key) { attributeColumns.append((name, position)) }
        }
        guard index["email"] != nil else {
            // A spreadsheet saved with the locale's separator (`;` in much of Europe, or tabs)
            // reads as one column: say so, instead of only "no email column".
            if fields.count == 1, let separator = [";", "\t", "|"].first(where: { fields[0].contains($0) }) {
                let shown = separator == "\t" ? "tabs" : "'\(separator)'"
                throw OutreachError.badInput("\(file) line 1: the header is one column separated by \(shown); outreach reads comma-separated CSV (RFC 4180). Save the file as CSV with commas (in a spreadsheet: CSV UTF-8, comma-delimited).")
            }
            throw OutreachError.badInput("\(file) line 1: the header has no email column; the first line must name the columns, including email.")
        }
    }

    func parse(_ record: CSVRecord) -> Result<LeadRow, RowProblem> {
        guard record.fields.count == names.count else {
            return .failure(RowProblem(message: "expected \(names.count) fields like the header, found \(record.fields.count)"))
        }
        func value(_ column: String) -> String? {
            guard let position = index[column] else { return nil }
            let text = TextTrimming.trimmedSpaces(record.fields[position])
            return text.isEmpty ? nil : text
        }
        let email = EmailAddress.normalize(record.fields[index["email"]!])
        if let problem = EmailAddress.problem(email) { return .failure(RowProblem(message: problem)) }
        let timezone = value("timezone")
        if let timezone, !TimeZoneNames.isValid(timezone) {
            return .failure(RowProblem(message: "'\(EmailAddress.printable(timezone))' is not an IANA time zone (like Europe/Paris)"))
        }
        var dnc = false
        if let flag = value("dnc") {
            switch flag.lowercased() {
            case "1", "true", "yes", "y": dnc = true
            case "0", "false", "no", "n": dnc = false
            default: return .failure(RowProblem(message: "dnc must be true or false, got '\(EmailAddress.printable(flag))'"))
            }
        }
        var attributes: [String: String] = [:]
        var hasher = Hasher()
        for (name, position) in attributeColumns {
            attributes[name] = record.fields[position]
        }
        for column in Self.known { hasher.combine(value(column)) }
        for name in attributes.keys.sorted() { hasher.combine(name); hasher.combine(attributes[name]) }
        return .success(LeadRow(
            email: email, firstName: value("first_name"), lastName: value("last_name"), company: value("company"),
            timezone: timezone, dnc: dnc, attributes: attributes, fingerprint: hasher.finalize()))
    }
}

/// Inserts or updates one lead (the import's hot path; its statements are `ImportQueries`).
/// A new lead starts at its first step, due now; an existing one gets the row's details and
/// attributes (an empty cell removes one) but keeps its progress, and its do-not-contact flag
/// is only ever set.
struct LeadUpsert {
    enum Outcome { case inserted, updated, unchanged }

    let db: any SQLConnection
    let campaignID: Int64
    let stamp: String

    init(db: any SQLConnection, campaignID: Int64, now: Date) {
        self.db = db
        self.campaignID = campaignID
        stamp = Timestamp.format(now)
    }

    func upsert(_ row: LeadRow, source: String) throws -> Outcome {
        guard let existing = try ImportQueries.details(db, campaignID: campaignID, email: row.email) else {
            let attributes = row.attributes.filter { !TextTrimming.trimmedSpaces($0.value).isEmpty }
            try ImportQueries.insertLead(db, campaignID: campaignID, row, attributes: JSONText.encodeFlat(attributes),
                                         dncReason: row.dnc ? "imported from \(source)" : nil, stamp: stamp)
            return .inserted
        }
        var attributes = JSONText.decodeFlat(existing.attributes) ?? [:]
        for (name, value) in row.attributes {
            attributes[name] = TextTrimming.trimmedSpaces(value).isEmpty ? nil : value
        }
        let attributesJSON = JSONText.encodeFlat(attributes)
        let setDNC = row.dnc && !existing.dnc
        let same = existing.firstName == row.firstName && existing.lastName == row.lastName && existing.company == row.company
            && existing.timezone == row.timezone && existing.attributes == attributesJSON && !setDNC
        if same { return .unchanged }
        try ImportQueries.updateLead(db, id: existing.id, row, attributes: attributesJSON, setDNC: setDNC,
                                     dncReason: "imported from \(source)", stamp: stamp)
        return .updated
    }
}
