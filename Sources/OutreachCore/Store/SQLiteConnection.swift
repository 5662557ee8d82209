import Foundation
import GRDB
import GRDBSQLite

/// `SQLConnection` on SQLite: GRDB's connection, with statements from GRDB's cache bound and
/// stepped through the SQLite C API.
///
/// GRDB's `StatementArguments` and `Row` box every value, which costs more than the SQL
/// itself on the tick's path (a dozen statements per lead). The statement stays owned by
/// GRDB's cache and is always reset after use: a SELECT left mid-iteration would keep its
/// read snapshot and make the next write transaction fail.
final class SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    init(_ db: Database) {
        self.db = db
    }

    func scan(_ sql: String, _ values: [SQLValue], _ body: (SQLRow) throws -> Bool) throws {
        let handle = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        bind(handle, values)
        let row = SQLRow(source: .sqlite(handle))
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_ROW:
                guard try body(row) else { return }
            case SQLITE_DONE:
                return
            default:
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: sql)
            }
        }
    }

    var changesCount: Int { db.changesCount }

    func inSavepoint(_ work: () throws -> SavepointCompletion) throws {
        try db.inSavepoint {
            switch try work() {
            case .commit: .commit
            case .rollback: .rollback
            }
        }
    }

    func executeScript(_ sql: String) throws {
        try db.execute(sql: sql)
    }

    private func bind(_ handle: OpaquePointer, _ values: [SQLValue]) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null:
                sqlite3_bind_null(handle, index)
            case .int(let number):
                sqlite3_bind_int64(handle, index, number)
            case .double(let number):
                sqlite3_bind_double(handle, index, number)
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
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text before `bind` returns.
private let SQLITE_TRANSIENT_POINTER = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
