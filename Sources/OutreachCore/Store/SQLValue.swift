import Foundation

/// A value bound to a statement parameter, or read back from a column.
///
/// Both dialects see the same three kinds: outreach stores timestamps and JSON as text,
/// flags and ids as integers, and nothing else.
public enum SQLValue: Sendable, Equatable {
    case text(String)
    case int(Int64)
    case double(Double)
    case null

    static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    static func int(_ value: Int?) -> SQLValue { value.map { .int(Int64($0)) } ?? .null }
    static func int(_ value: Int64?) -> SQLValue { value.map(SQLValue.int) ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .int(value ? 1 : 0) }

    /// The value as PostgreSQL's text format sends it (nil for NULL).
    var text: String? {
        switch self {
        case .text(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .null: nil
        }
    }

    /// The value as an integer: integers as they are, text parsed ("t"/"f" are PostgreSQL's booleans).
    var int64: Int64? {
        switch self {
        case .int(let number): number
        case .double(let number): Int64(exactly: number.rounded(.towardZero))
        case .text(let text): SQLValue.parseInt(text)
        case .null: nil
        }
    }

    static func parseInt(_ text: String) -> Int64? {
        if let number = Int64(text) { return number }
        switch text {
        case "t", "true": return 1
        case "f", "false": return 0
        default: return Double(text).flatMap { Int64(exactly: $0.rounded(.towardZero)) }
        }
    }
}

/// A Swift value that can be bound as a statement argument (`db.execute(sql:arguments:)`).
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Int32: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }

extension Array where Element == (any SQLBindable)? {
    var sqlValues: [SQLValue] { map { $0?.sqlValue ?? .null } }
}

/// A Swift type a column can be read as (`Int.fetchOne(db, sql:)`, `record[0] as String?`).
public protocol SQLColumnValue {
    init?(sqlValue: SQLValue)
}

extension String: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        guard let text = sqlValue.text else { return nil }
        self = text
    }
}
extension Int64: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        guard let number = sqlValue.int64 else { return nil }
        self = number
    }
}
extension Int: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        guard let number = sqlValue.int64 else { return nil }
        self = Int(number)
    }
}
extension Bool: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        guard let number = sqlValue.int64 else { return nil }
        self = number != 0
    }
}
extension Double: SQLColumnValue {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .double(let number): self = number
        case .int(let number): self = Double(number)
        case .text(let text):
            guard let number = Double(text) else { return nil }
            self = number
        case .null: return nil
        }
    }
}
