import Foundation

/// One database connection inside one transaction: what every query runs on.
///
/// There are two: `SQLiteConnection` (through GRDB, the embedded default) and
/// `PostgresConnection` (through libpq, for many hosts). Queries are written once with `?`
/// parameters in the SQL both dialects understand; the few statements that differ switch on
/// `dialect`. Statements are prepared once per connection and reused.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs a statement, handing each row to `body` as it is read (nothing accumulates)
    /// until `body` returns false.
    func scan(_ sql: String, _ values: [SQLValue], _ body: (SQLRow) throws -> Bool) throws

    /// The number of rows the last INSERT, UPDATE or DELETE changed.
    var changesCount: Int { get }

    /// Runs `work` in a savepoint, kept when it returns `.commit` and undone when it returns
    /// `.rollback` or throws.
    func inSavepoint(_ work: () throws -> SavepointCompletion) throws

    /// Runs several statements separated by semicolons, without parameters (migrations).
    func executeScript(_ sql: String) throws
}

/// What a savepoint's work asks for.
public enum SavepointCompletion: Sendable {
    case commit
    case rollback
}

extension SQLConnection {
    /// Runs a statement, handing each row to `body` as it is read.
    public func forEach(_ sql: String, _ values: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        try scan(sql, values) { row in
            try body(row)
            return true
        }
    }

    /// Runs a statement that returns no rows (or whose rows are not wanted).
    public func execute(_ sql: String, _ values: [SQLValue]) throws {
        try forEach(sql, values) { _ in }
    }

    /// Runs a statement with arguments given as Swift values.
    public func execute(sql: String, arguments: [(any SQLBindable)?] = []) throws {
        try forEach(sql, arguments.sqlValues) { _ in }
    }

    /// The first row, read by `read`, or nil when there is none. Later rows are not read.
    public func first<T>(_ sql: String, _ values: [SQLValue], _ read: (SQLRow) throws -> T) throws -> T? {
        var result: T?
        try scan(sql, values) { row in
            result = try read(row)
            return false
        }
        return result
    }

    /// Every row, each read by `read`.
    public func all<T>(_ sql: String, _ values: [SQLValue], _ read: (SQLRow) throws -> T) throws -> [T] {
        var rows: [T] = []
        try forEach(sql, values) { rows.append(try read($0)) }
        return rows
    }
}
