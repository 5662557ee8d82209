import Foundation

/// One record of a CSV file and the line it starts on (1-based, header included).
public struct CSVRecord: Sendable, Equatable {
    public let line: Int
    public let fields: [String]
}

/// A malformed CSV record: where, and what is wrong.
public struct CSVSyntaxError: Error, Sendable, Equatable {
    public let line: Int
    public let problem: String
}

/// A streaming RFC 4180 reader: quoted fields with `""` escapes and line breaks, CRLF or LF
/// line ends, a UTF-8 byte order mark tolerated. It reads the file in chunks, so a million
/// rows cost a few kilobytes of buffer, and reports the line each record starts on.
public struct CSVReader {
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var line = 1
    private var started = false
    private let path: String
    /// A read error met while filling the buffer; `next()` throws it (SPEC §9.8: exit 74).
    private var readError: OutreachError?
    private static let chunkSize = 1 << 16

    /// Opens a file; a missing or unreadable file is an `inputMissing` error naming it.
    public init(path: String) throws {
        handle = try InputFile.open(path)
        self.path = path
    }

    /// Reads records from text already in memory (tests, small inputs).
    public init(text: String) {
        handle = nil
        path = "(text)"
        buffer = Array(text.utf8)
        atEnd = true
    }

    private mutating func fill() -> Bool {
        guard !atEnd, let handle else { return false }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.chunkSize) ?? Data()
        } catch {
            readError = InputFile.readFailure(path, error)
            atEnd = true
            return false
        }
        if data.isEmpty {
            atEnd = true
            try? handle.close()
            return false
        }
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        buffer.append(contentsOf: data)
        return true
    }

    private mutating func peek() -> UInt8? {
        if position >= buffer.count, !fill() { return nil }
        return buffer[position]
    }

    /// The next record, nil at the end of the input, or a `CSVSyntaxError`.
    /// Blank lines are skipped.
    public mutating func next() throws -> CSVRecord? {
        if let readError { throw readError }
        let record = try nextRecord()
        if let readError { throw readError }
        return record
    }

    private mutating func nextRecord() throws -> CSVRecord? {
        if !started {
            started = true
            if peek() == 0xEF, buffer.count >= position + 3, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF {
                position += 3
            }
        }
        // Skip blank lines between records.
        while let byte = peek(), byte == 0x0A || byte == 0x0D {
            position += 1
            if byte == 0x0A { line += 1 } else if peek() != 0x0A { line += 1 }
        }
        guard peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStarted = false
        while true {
            guard let byte = peek() else {
                if quoted { throw CSVSyntaxError(line: startLine, problem: "a quoted field is never closed") }
                fields.append(try decode(field, line: startLine))
                return CSVRecord(line: startLine, fields: fields)
            }
            position += 1
            if quoted {
                if byte == 0x22 {
                    if peek() == 0x22 {
                        position += 1
                        field.append(0x22)
                    } else {
                        quoted = false
                        if let next = peek(), next != 0x2C, next != 0x0A, next != 0x0D {
                            throw CSVSyntaxError(line: line, problem: "text follows a closing quote; double quotes inside a quoted field must be written as \"\"")
                        }
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case 0x22 where !fieldStarted && field.isEmpty:
                quoted = true
                fieldStarted = true
            case 0x2C:
                fields.append(try decode(field, line: startLine))
                field.removeAll(keepingCapacity: true)
                fieldStarted = false
            case 0x0D:
                if peek() == 0x0A { position += 1 }
                line += 1
                fields.append(try decode(field, line: startLine))
                return CSVRecord(line: startLine, fields: fields)
            case 0x0A:
                line += 1
                fields.append(try decode(field, line: startLine))
                return CSVRecord(line: startLine, fields: fields)
            default:
                field.append(byte)
                fieldStarted = true
            }
        }
    }

    private func decode(_ bytes: [UInt8], line: Int) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CSVSyntaxError(line: line, problem: "the line is not valid UTF-8 text")
        }
        return text
    }
}
