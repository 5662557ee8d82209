
/// The invalid records of an import, and the SPEC's rule for them: without a rejects file
/// any invalid record fails the whole import (exit 65, nothing written); with one, each
/// invalid record goes there with its line number and reason and the rest is imported.
final class ImportProblems {
    private let file: String
    private let rejects: RejectsFile?
    private(set) var messages: [String] = []

    init(file: String, rejectsPath: String?) throws {
        self.file = file
        rejects = try rejectsPath.map { try RejectsFile(path: $0) }
    }

    var count: Int { messages.count }

    /// Starts the rejects file with the input's own columns.
    func begin(columns: [String]) throws {
        try rejects?.writeHeader(columns)
    }

    /// Records one invalid record.
    func add(line: Int, _ reason: String, fields: [String]) throws {
        messages.append("line \(line): \(reason)")
        try rejects?.write(line: line, reason: reason, fields: fields)
    }

    /// Runs the import's one transaction under the rule: it commits only if every record was
    /// valid or a rejects file takes the invalid ones (`what` names a record in the error),
    /// and the rejects file appears only when the import committed (never for a dry run).
    func transaction(_ store: Store, what: String, dryRun: Bool = false, _ work: (any SQLConnection) throws -> Void) throws {
        do {
            try store.withTransactions(rollback: dryRun, "importing \(file)") { scope in
                try scope.write("importing \(file)") { db in
                    try work(db)
                    try enforce(what: what)
                }
            }
        } catch {
            discard()
            throw error
        }
        if dryRun { discard() } else { try commit() }
    }

    /// Throws the all-or-nothing error when there were problems and no rejects file.
    private func enforce(what: String) throws {
        guard !messages.isEmpty, rejects == nil else { return }
        let shown = messages.prefix(10).joined(separator: "; ")
        let more = messages.count > 10 ? "; and \(messages.count - 10) more" : ""
        throw OutreachError.badInput(
            "\(file) has \(messages.count) invalid \(what)\(messages.count == 1 ? "" : "s") and nothing was imported: \(shown)\(more). Fix them, or pass --rejects FILE to import the valid ones.")
    }

    private func commit() throws { try rejects?.commit() }

    private func discard() { rejects?.discard() }
}

/// A CSV file as records keyed by its header, for the small imports (lists, events).
struct KeyedCSV {
    let file: String
    let header: [String]
    private var reader: CSVReader

    /// Opens the file and reads its header; `required` columns must be present, and only
    /// `allowed` ones may appear (any, when `ignoringOthers`: provider exports carry extras).
    init(path: String, file: String, required: [String], allowed: [String], ignoringOthers: Bool = false) throws {
        reader = try CSVReader(path: path)
        self.file = file
        let first: CSVRecord?
        do { first = try reader.next() } catch let error as CSVSyntaxError {
            throw OutreachError.badInput("\(file) line \(error.line): \(error.problem); nothing was imported.")
        }
        guard let first else { throw OutreachError.badInput("\(file) is empty; it needs a header line.") }
        header = first.fields.map { TextTrimming.trimmedSpaces($0).lowercased() }
        for column in required where !header.contains(column) {
            throw OutreachError.badInput("\(file) line 1: the header has no \(column) column; columns: \(allowed.joined(separator: ", ")).")
        }
        for column in header where !allowed.contains(column) && !ignoringOthers {
            throw OutreachError.badInput("\(file) line 1: unknown column '\(EmailAddress.printable(column))'; allowed: \(allowed.joined(separator: ", ")).")
        }
        guard Set(header).count == header.count else { throw OutreachError.badInput("\(file) line 1: a column appears twice in the header.") }
    }

    /// The next record as (line, values by column, raw fields), or a field-count problem.
    mutating func next() throws -> (line: Int, values: Result<[String: String], RowProblem>, fields: [String])? {
        let record: CSVRecord?
        do { record = try reader.next() } catch let error as CSVSyntaxError {
            throw OutreachError.badInput("\(file) line \(error.line): \(error.problem); nothing was imported.")
        }
        guard let record else { return nil }
        guard record.fields.count == header.count else {
            return (record.line, .failure(RowProblem(message: "expected \(header.count) fields like the header, found \(record.fields.count)")), record.fields)
        }
        var values: [String: String] = [:]
        for (name, value) in zip(header, record.fields) {
            let trimmed = TextTrimming.trimmedSpaces(value)
            if !trimmed.isEmpty { values[name] = trimmed }
        }
        return (record.line, .success(values), record.fields)
    }
}
