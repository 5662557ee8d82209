import Foundation
import GRDB
import GRDBSQLite

/// A thin, allocation-free way to run one of GRDB's cached statements: bind values and read
/// columns through the SQLite C API.
///
/// The tick's hot path (a dozen statements per lead, hundreds of thousands of leads) and every
/// lead read use it: GRDB's `StatementArguments` and `Row` box every value, which cost more
/// than the SQL itself. Everything else uses GRDB's API. The statement stays owned by GRDB's cache.
/// Use goes through the scoped functions below, which always reset the statement: a SELECT
/// left mid-iteration would keep its read snapshot and make the next write transaction fail.
struct PreparedStatement {
    private let handle: OpaquePointer

    private init(_ db: Database, _ sql: String) throws {
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func reset() {
        sqlite3_reset(handle)
    }

    /// Runs a statement that returns no rows.
    static func execute(_ db: Database, _ sql: String, _ values: [SQLValue]) throws {
        let statement = try PreparedStatement(db, sql)
        defer { statement.reset() }
        statement.bind(values)
        while try statement.step(db) {}
    }

    /// The first row, read by `read`, or nil when there is none.
    static func first<T>(_ db: Database, _ sql: String, _ values: [SQLValue],
                         _ read: (PreparedStatement) throws -> T) throws -> T? {
        let statement = try PreparedStatement(db, sql)
        defer { statement.reset() }
        statement.bind(values)
        return try statement.step(db) ? try read(statement) : nil
    }

    /// Every row, each read by `read`.
    static func all<T>(_ db: Database, _ sql: String, _ values: [SQLValue],
                       _ read: (PreparedStatement) throws -> T) throws -> [T] {
        let statement = try PreparedStatement(db, sql)
        defer { statement.reset() }
        statement.bind(values)
        var rows: [T] = []
        while try statement.step(db) { rows.append(try read(statement)) }
        return rows
    }

    /// Every row, each handed to `body` as it is read (nothing accumulates).
    static func forEach(_ db: Database, _ sql: String, _ values: [SQLValue],
                        _ body: (PreparedStatement) throws -> Void) throws {
        let statement = try PreparedStatement(db, sql)
        defer { statement.reset() }
        statement.bind(values)
        while try statement.step(db) { try body(statement) }
    }

    // MARK: Binding

    private func bind(_ values: [SQLValue]) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null:
                sqlite3_bind_null(handle, index)
            case .int(let number):
                sqlite3_bind_int64(handle, index, number)
            case .text(var text):
                text.withUTF8 { buffer in
                    if let base = buffer.baseAddress {
                        base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                            _ = sqlite3_bind_text(handle, index, $0, Int32(buffer.count), SQLITE_TRANSIENT_POINTER)
                        }
                    } else {
                        _ = sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT_POINTER)
                    }
                }
            }
        }
    }

    // MARK: Stepping

    private func step(_ db: Database) throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    // MARK: Columns (0-based, like SQLite)

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(handle, column))
    }

    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}

/// A value bound to a statement parameter.
enum SQLValue {
    case text(String)
    case int(Int64)
    case null

    static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    static func int(_ value: Int?) -> SQLValue { value.map { .int(Int64($0)) } ?? .null }
    static func int(_ value: Int64?) -> SQLValue { value.map(SQLValue.int) ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .int(value ? 1 : 0) }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text before `bind` returns.
private let SQLITE_TRANSIENT_POINTER = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
