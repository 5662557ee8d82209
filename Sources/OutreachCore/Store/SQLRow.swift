import Foundation
import GRDBSQLite

/// The current row of a statement being read: columns by 0-based index, without copying
/// the row (the tick reads hundreds of thousands of them).
///
/// Valid only inside the closure it is handed to. On SQLite it reads the statement through
/// the C API; on PostgreSQL it reads the text format of a result.
public struct SQLRow {
    enum Source {
        case sqlite(OpaquePointer)
        case postgres(result: OpaquePointer, row: Int32)
    }

    let source: Source

    public func isNull(_ column: Int32) -> Bool {
        switch source {
        case .sqlite(let handle): sqlite3_column_type(handle, column) == SQLITE_NULL
        case .postgres(let result, let row): LibPQ.api.getisnull(result, row, column) != 0
        }
    }

    /// The column as an integer (0 for NULL).
    public func int64(_ column: Int32) -> Int64 {
        switch source {
        case .sqlite(let handle):
            return sqlite3_column_int64(handle, column)
        case .postgres(let result, let row):
            guard let text = LibPQ.api.getvalue(result, row, column) else { return 0 }
            let number = strtoll(text, nil, 10)
            if number == 0, text.pointee == UInt8(ascii: "t") { return 1 }
            return number
        }
    }

    public func int(_ column: Int32) -> Int { Int(int64(column)) }

    public func bool(_ column: Int32) -> Bool { int64(column) != 0 }

    /// The column as an integer, nil for NULL.
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column as text (nil for NULL).
    public func string(_ column: Int32) -> String? {
        switch source {
        case .sqlite(let handle):
            guard let text = sqlite3_column_text(handle, column) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        case .postgres(let result, let row):
            guard LibPQ.api.getisnull(result, row, column) == 0, let text = LibPQ.api.getvalue(result, row, column) else { return nil }
            let count = Int(LibPQ.api.getlength(result, row, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }
    }

    /// The column as a value of its own kind (PostgreSQL's text format gives text; reading
    /// it as a number parses it).
    public func value(_ column: Int32) -> SQLValue {
        switch source {
        case .sqlite(let handle):
            switch sqlite3_column_type(handle, column) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .int(sqlite3_column_int64(handle, column))
            case SQLITE_FLOAT: return .double(sqlite3_column_double(handle, column))
            default: return .text(string(column))
            }
        case .postgres:
            return .text(string(column))
        }
    }

    /// The number of columns.
    public var count: Int32 {
        switch source {
        case .sqlite(let handle): sqlite3_column_count(handle)
        case .postgres(let result, _): LibPQ.api.nfields(result)
        }
    }

    /// The name of a column.
    public func name(_ column: Int32) -> String {
        switch source {
        case .sqlite(let handle): sqlite3_column_name(handle, column).map { String(cString: $0) } ?? ""
        case .postgres(let result, _): LibPQ.api.fname(result, column).map { String(cString: $0) } ?? ""
        }
    }
}

/// A row copied out of a result, for the queries that are not on a hot path: columns by
/// index or name, read as the type the caller asks for (`record[0] as String?`,
/// `record["status"] as Int`), as GRDB's `Row` does.
public struct SQLRecord: Sendable {
    public let names: [String]
    public let values: [SQLValue]

    init(_ row: SQLRow) {
        let count = row.count
        names = (0..<count).map(row.name)
        values = (0..<count).map(row.value)
    }

    public subscript<T: SQLColumnValue>(_ index: Int) -> T? {
        T(sqlValue: values[index])
    }

    /// A NOT NULL column: a NULL there means the schema was broken by hand.
    public subscript<T: SQLColumnValue>(_ index: Int) -> T {
        guard let value = T(sqlValue: values[index]) else {
            preconditionFailure("Column \(names[index]) is NULL or not a \(T.self); the database was edited by hand.")
        }
        return value
    }

    public subscript<T: SQLColumnValue>(_ name: String) -> T? {
        names.firstIndex(of: name).flatMap { T(sqlValue: values[$0]) }
    }

    public subscript<T: SQLColumnValue>(_ name: String) -> T {
        guard let index = names.firstIndex(of: name) else { preconditionFailure("No column \(name) in the result.") }
        return self[index]
    }

    /// Every row of a query.
    public static func fetchAll(_ db: any SQLConnection, sql: String, arguments: [(any SQLBindable)?] = []) throws -> [SQLRecord] {
        try db.all(sql, arguments.sqlValues, SQLRecord.init)
    }

    /// Every row of a query, each handed to `body` as it is read.
    public static func forEach(_ db: any SQLConnection, sql: String, arguments: [(any SQLBindable)?] = [],
                               _ body: (SQLRecord) throws -> Void) throws {
        try db.forEach(sql, arguments.sqlValues) { try body(SQLRecord($0)) }
    }

    /// The first row of a query, or nil.
    public static func fetchOne(_ db: any SQLConnection, sql: String, arguments: [(any SQLBindable)?] = []) throws -> SQLRecord? {
        try db.first(sql, arguments.sqlValues, SQLRecord.init)
    }
}

extension SQLColumnValue {
    /// The first column of the first row; nil when there is no row or it is NULL.
    public static func fetchOne(_ db: any SQLConnection, sql: String, arguments: [(any SQLBindable)?] = []) throws -> Self? {
        try db.first(sql, arguments.sqlValues) { Self(sqlValue: $0.value(0)) } ?? nil
    }

    /// The first column of every row (NULLs left out).
    public static func fetchAll(_ db: any SQLConnection, sql: String, arguments: [(any SQLBindable)?] = []) throws -> [Self] {
        try db.all(sql, arguments.sqlValues) { Self(sqlValue: $0.value(0)) }.compactMap { $0 }
    }
}
