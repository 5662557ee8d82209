import Foundation

/// Why a mail source cannot be read; `description` is one sentence naming the path and what to do.
public enum MailSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case noMessages(path: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "Nothing exists at \(path); check the path to the Maildir, mbox or .eml file."
        case .unreadable(let path, let reason):
            return "Cannot read \(path) (\(reason)); check that it exists and that you may read it."
        case .noMessages(let path):
            return "\(path) holds no messages; point at a Maildir (with new/ or cur/), an mbox file, an .eml file or a folder of them."
        }
    }
}

/// Reads the messages stored at a path, so the importer can take whatever the user has:
/// - a Maildir (a folder with `new/` and/or `cur/`): the files of both, ordered by file name
///   (Maildir names start with a timestamp), named by relative path such as `cur/1700000000.x`;
/// - an mbox file: split at `From ` lines at the start of the file or after an empty line,
///   `>From ` lines un-escaped, named `file#1`, `file#2`, ...; the file is memory-mapped, never
///   loaded whole, and each message is copied once when it is handed out;
/// - an `.eml` file, or any other regular file not starting with `From `: one message;
/// - any other folder: its regular, non-hidden files in name order, each read as above (so an
///   mbox inside is split); sub-folders are not entered.
public struct MailSource: Sendable {
    /// How the path was interpreted.
    public enum Layout: String, Sendable { case maildir, mbox, singleFile = "single file", folder }

    public let path: String
    public let layout: Layout

    /// Inspects `path`; fails when it does not exist or is neither a file nor a folder.
    public init(path: String) throws(MailSourceError) {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(path: path) }
        self.path = path
        if isDirectory.boolValue {
            let hasMaildirFolder = ["new", "cur"].contains { name in
                var sub: ObjCBool = false
                return fileManager.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &sub) && sub.boolValue
            }
            layout = hasMaildirFolder ? .maildir : .folder
        } else {
            layout = MailSource.looksLikeMbox(path) ? .mbox : .singleFile
        }
    }

    /// Calls `body` with every message in order. Throws `MailSourceError` when a file cannot be
    /// read (or the source holds nothing), and rethrows whatever `body` throws.
    public func forEach(_ body: (_ name: String, _ bytes: Data) throws -> Void) throws {
        var count = 0
        func counting(_ name: String, _ bytes: Data) throws {
            count += 1
            try body(name, bytes)
        }
        switch layout {
        case .maildir:
            let files = try ["new", "cur"].flatMap { folder in
                try MailSource.regularFiles(in: (path as NSString).appendingPathComponent(folder), missingIsEmpty: true)
                    .map { (folder + "/" + $0, $0) }
            }
            for (relative, _) in files.sorted(by: { ($0.1, $0.0) < ($1.1, $1.0) }) {
                try counting(relative, try MailSource.read((path as NSString).appendingPathComponent(relative)))
            }
        case .folder:
            for name in try MailSource.regularFiles(in: path, missingIsEmpty: false) {
                let full = (path as NSString).appendingPathComponent(name)
                if MailSource.looksLikeMbox(full) {
                    try MailSource.splitMbox(at: full, label: name, body: counting)
                } else {
                    try counting(name, try MailSource.read(full))
                }
            }
        case .mbox:
            try MailSource.splitMbox(at: path, label: (path as NSString).lastPathComponent, body: counting)
        case .singleFile:
            try counting((path as NSString).lastPathComponent, try MailSource.read(path))
        }
        // An empty Maildir or mbox is the normal state of a mailbox with nothing new; an
        // empty plain folder is more likely the wrong path.
        if count == 0, layout == .folder { throw MailSourceError.noMessages(path: path) }
    }

    /// All messages at once (convenient for small sources; prefer `forEach` for large mboxes).
    public func messages() throws -> [(name: String, bytes: Data)] {
        var result: [(name: String, bytes: Data)] = []
        try forEach { result.append(($0, $1)) }
        return result
    }

    // MARK: - Helpers

    private static func read(_ path: String) throws(MailSourceError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }

    private static func regularFiles(in folder: String, missingIsEmpty: Bool) throws(MailSourceError) -> [String] {
        let fileManager = FileManager.default
        let names: [String]
        do {
            names = try fileManager.contentsOfDirectory(atPath: folder)
        } catch {
            if missingIsEmpty, !fileManager.fileExists(atPath: folder) { return [] }
            throw .unreadable(path: folder, reason: error.localizedDescription)
        }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".")
                && fileManager.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }.sorted()
    }

    /// Not an `.eml`, and the first line starts with `From `.
    static func looksLikeMbox(_ path: String) -> Bool {
        guard (path as NSString).pathExtension.lowercased() != "eml", let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 5)) ?? Data()
        return head == Data("From ".utf8)
    }

    /// Splits an mbox into messages (see the type's documentation). Works on the mapped file
    /// in place; only the message being handed out is copied.
    static func splitMbox(at path: String, label: String, body: (String, Data) throws -> Void) throws {
        let data = try read(path)
        let fromPrefix = Array("From ".utf8)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let base = bytes.baseAddress else { return }
            var index = 0
            var current: [UInt8]?
            var previousEmpty = true
            var offset = 0
            func startsWithFrom(_ position: Int, _ end: Int) -> Bool {
                end - position >= fromPrefix.count && fromPrefix.indices.allSatisfy { bytes[position + $0] == fromPrefix[$0] }
            }
            func emit() throws {
                guard var message = current else { return }
                // The empty line before the next "From " belongs to the separator.
                if message.suffix(2) == [ByteText.lf, ByteText.lf] {
                    message.removeLast()
                } else if message.suffix(4) == [ByteText.cr, ByteText.lf, ByteText.cr, ByteText.lf] {
                    message.removeLast(2)
                }
                index += 1
                try body("\(label)#\(index)", Data(message))
            }
            while offset < bytes.count {
                var next = bytes.count
                if let found = memchr(base + offset, Int32(ByteText.lf), bytes.count - offset) {
                    next = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                }
                var end = next > offset && bytes[next - 1] == ByteText.lf ? next - 1 : next
                if end > offset, bytes[end - 1] == ByteText.cr { end -= 1 }
                if previousEmpty, startsWithFrom(offset, end) {
                    try emit()
                    current = []
                } else if current != nil {
                    var start = offset
                    var probe = offset
                    while probe < end, bytes[probe] == 62 { probe += 1 }
                    if probe > offset, startsWithFrom(probe, end) { start += 1 }  // ">+From " loses one ">"
                    current?.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<next]))
                }
                previousEmpty = end == offset
                offset = next
            }
            try emit()
        }
    }
}
