/// The `--rejects` CSV of an import: every refused record with its line number and reason,
/// followed by the record's own cells, so it can be fixed and imported again. It appears
/// only when the import commits.
final class RejectsFile {
    private let file: AtomicFile

    init(path: String) throws {
        file = try AtomicFile(path: path)
    }

    func writeHeader(_ columns: [String]) throws {
        try file.write(CSVWriter.line(["line", "reason"] + columns))
    }

    func write(line: Int, reason: String, fields: [String]) throws {
        try file.write(CSVWriter.line([String(line), reason] + fields))
    }

    func commit() throws { try file.commit() }

    func discard() { file.discard() }
}
