import Foundation

/// An error PostgreSQL reported, with its SQLSTATE (`OutreachError.wrap` maps it to an exit code).
struct PostgresError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE; empty when the connection itself failed.
    let sqlState: String
    let message: String

    var description: String { message }
}

/// `SQLConnection` on PostgreSQL, through libpq's synchronous API in text format.
///
/// Each distinct statement is prepared once per connection (`?` placeholders become `$n`),
/// so the tick's hot statements are parsed and planned once, as SQLite's statement cache
/// does. Not thread-safe: `Store` hands it to one transaction at a time.
///
/// Public so that the benchmark can send the tick's statements raw through the same client
/// (`make bench`); everything else reaches PostgreSQL through `Store`.
public final class PostgresConnection: SQLConnection {
    private let connection: LibPQ.Conn
    private var prepared: [String: String] = [:]
    public private(set) var changesCount = 0
    private var savepoints = 0
    public var dialect: SQLDialect { .postgres }

    /// Connects; `conninfo` is a `postgres://` URL. libpq reads the password from
    /// `PGPASSWORD` or `~/.pgpass` itself.
    public init(conninfo: String) throws {
        guard let api = LibPQ.loaded else {
            throw OutreachError.configuration(
                "PostgreSQL needs the libpq client library, which is not installed; install it (Debian: apt-get install libpq5) or use a SQLite --db path.")
        }
        guard let connection = api.connectdb(conninfo) else {
            throw PostgresError(sqlState: "", message: "out of memory")
        }
        guard api.status(connection) == LibPQ.connectionOK else {
            let message = api.errorMessage(connection).map { String(cString: $0) } ?? "unknown error"
            api.finish(connection)
            throw PostgresError(sqlState: "08001", message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Notices ("relation already exists, skipping") are not for the operator's terminal.
        _ = api.setNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit {
        LibPQ.api.finish(connection)
    }

    /// Rows arrive one at a time (libpq's single-row mode), so a scan over a million rows
    /// (`db copy`, an export) holds one row in memory, not the whole result. After the body
    /// stops early or throws, the rest of the result is still read, so the connection stays
    /// usable for the next statement.
    public func scan(_ sql: String, _ values: [SQLValue], _ body: (SQLRow) throws -> Bool) throws {
        let name = try statementName(sql)
        let texts = values.map { $0.text.map { strdup($0)! } }
        defer { texts.forEach { free($0) } }
        let pointers = texts.map { UnsafePointer<CChar>($0) }
        let sent = pointers.withUnsafeBufferPointer { buffer in
            LibPQ.api.sendQueryPrepared(connection, name, Int32(values.count), buffer.baseAddress, nil, nil, 0)
        }
        guard sent == 1 else {
            throw PostgresError(sqlState: "08006", message: LibPQ.api.errorMessage(connection).map { String(cString: $0) } ?? "connection lost")
        }
        _ = LibPQ.api.setSingleRowMode(connection)
        var failure: Error?
        var wanted = true
        changesCount = 0
        while let result = LibPQ.api.getResult(connection) {
            defer { LibPQ.api.clear(result) }
            let status = LibPQ.api.resultStatus(result)
            guard status == LibPQ.singleTuple || status == LibPQ.tuplesOK || status == LibPQ.commandOK else {
                if failure == nil { failure = error(of: result) }
                continue
            }
            if status != LibPQ.singleTuple {
                changesCount = LibPQ.api.cmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
            }
            var row: Int32 = 0
            let rows = LibPQ.api.ntuples(result)
            while wanted, failure == nil, row < rows {
                do {
                    wanted = try body(SQLRow(source: .postgres(result: result, row: row)))
                } catch {
                    failure = error
                }
                row += 1
            }
        }
        if let failure { throw failure }
    }

    public func inSavepoint(_ work: () throws -> SavepointCompletion) throws {
        savepoints += 1
        let name = "s\(savepoints)"
        defer { savepoints -= 1 }
        try executeScript("SAVEPOINT \(name)")
        let completion: SavepointCompletion
        do {
            completion = try work()
        } catch {
            try? executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw error
        }
        switch completion {
        case .commit: try executeScript("RELEASE SAVEPOINT \(name)")
        case .rollback: try executeScript("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
        }
    }

    public func executeScript(_ sql: String) throws {
        let result = LibPQ.api.exec(connection, sql)
        LibPQ.api.clear(try check(result))
    }

    // MARK: - Statements

    private func statementName(_ sql: String) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "o\(prepared.count + 1)"
        let result = LibPQ.api.prepare(connection, name, PostgresSQL.translate(sql), 0, nil)
        LibPQ.api.clear(try check(result))
        prepared[sql] = name
        return name
    }

    private func check(_ result: LibPQ.Result?) throws -> LibPQ.Result {
        guard let result else {
            throw PostgresError(sqlState: "08006", message: LibPQ.api.errorMessage(connection).map { String(cString: $0) } ?? "connection lost")
        }
        let status = LibPQ.api.resultStatus(result)
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else {
            let failure = error(of: result)
            LibPQ.api.clear(result)
            throw failure
        }
        return result
    }

    /// The SQLSTATE and message of a failed result.
    private func error(of result: LibPQ.Result) -> PostgresError {
        let state = LibPQ.api.resultErrorField(result, LibPQ.sqlStateField).map { String(cString: $0) } ?? "08006"
        let message = (LibPQ.api.resultErrorMessage(result).map { String(cString: $0) } ?? "error")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(sqlState: state, message: message)
    }
}

/// The one translation of outreach's SQL into PostgreSQL's: `?` and `?N` parameters become
/// `$n`. Everything else is written in the subset both understand (or switches on
/// `SQLDialect` where it cannot be).
enum PostgresSQL {
    static func translate(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var next = 0
        var quote: Character?
        var index = sql.startIndex
        while index < sql.endIndex {
            let character = sql[index]
            if let open = quote {
                out.append(character)
                if character == open { quote = nil }
                index = sql.index(after: index)
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                out.append(character)
                index = sql.index(after: index)
            case "?":
                index = sql.index(after: index)
                var digits = ""
                while index < sql.endIndex, let digit = sql[index].wholeNumberValue, digit >= 0 {
                    digits.append(sql[index])
                    index = sql.index(after: index)
                }
                if digits.isEmpty {
                    next += 1
                    out += "$\(next)"
                } else {
                    out += "$\(digits)"
                }
            default:
                out.append(character)
                index = sql.index(after: index)
            }
        }
        return out
    }
}
