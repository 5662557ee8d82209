import CSQLiteTuning
import Foundation
import GRDB
import GRDBSQLite

/// The one way into the database: opening, schema checks, and transactions.
///
/// A `Store` owns its connection privately: a SQLite file through GRDB (the default), or a
/// PostgreSQL database through libpq (SPEC §13). Outside the core, the database is reached
/// only through the Store's methods (`Store+Campaigns.swift`, `Store+Leads.swift`, …), each
/// one transaction that keeps one invariant and returns plain values, and through the core's
/// own types (`Tick`, the importers). Inside the core, `read`, `write` and `withRollback` run
/// work in one transaction on an `SQLConnection`; the SQL lives in the `…Queries` enums.
///
/// Writers are serialized on both databases, so the invariants that span campaigns (one
/// contact per cooldown per address, a mailbox's daily cap) and commit order hold exactly as
/// on one host. SQLite's `BEGIN IMMEDIATE` takes the file's write lock; on PostgreSQL every
/// write transaction first locks the commit-order counter's row (`FOR UPDATE`), which lasts
/// until it commits — a row lock, not a session-level advisory lock. In both cases the clock
/// is read after the lock is held, so timestamps follow commit order.
public final class Store: @unchecked Sendable {
    /// How durably commits reach the disk.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL`: WAL-safe against crashes, may lose the last commits on power loss.
        case normal
        /// `synchronous=FULL`: every commit is on disk before it returns (live dispatch claims).
        case full
    }

    /// Seconds a statement waits for another process's write lock before giving up.
    public static let busyTimeoutSeconds: TimeInterval = 10

    /// How a connection waits for another process's write lock.
    public enum LockWait: Sendable {
        /// SQLite's busy timeout: retries at growing intervals, up to 100 ms apart.
        case backoff
        /// Retries every millisecond (`serve`): SQLite's lock is not fair, and a tick commits a
        /// group and starts the next within a millisecond or two, so a writer that sleeps 100 ms
        /// between tries would wait for the whole tick.
        case polling
    }

    private enum Backend {
        case sqlite(DatabaseQueue)
        case postgres(PostgresConnection)
    }

    private let backend: Backend
    /// PostgreSQL's connection serves one transaction at a time (GRDB's queue does this itself).
    private let lock = NSLock()
    /// Where the database is, for messages.
    public let location: DatabaseLocation

    private init(_ backend: Backend, location: DatabaseLocation) {
        self.backend = backend
        self.location = location
    }

    /// The dialect of the database.
    public var dialect: SQLDialect { location.dialect }

    /// Opens an existing, fully migrated database; refuses anything else with a sentence that
    /// says what to do (exit 78). `path` is the `--db` value: a file or a `postgres://` URL.
    public static func open(path: String, durability: Durability = .normal, lockWait: LockWait = .backoff) throws -> Store {
        let location = try DatabaseLocation(path)
        if case .sqlite = location, !FileManager.default.fileExists(atPath: path) {
            throw OutreachError.configuration("There is no database at \(path); run `outreach migrate --db \(path)` first.")
        }
        let store = try connect(path: path, durability: durability, lockWait: lockWait)
        let status = try store.schemaStatus()
        if !status.unknown.isEmpty {
            throw OutreachError.configuration(
                "The database \(path) was migrated by a newer outreach (it has \(status.unknown.joined(separator: ", "))); upgrade outreach before using it.")
        }
        if !status.pending.isEmpty {
            throw OutreachError.configuration(
                "The database \(path) is not migrated (pending: \(status.pending.joined(separator: ", "))); run `outreach migrate --db \(path)`.")
        }
        return store
    }

    /// Opens or creates a database without checking its schema (for `migrate`).
    public static func connect(path: String, durability: Durability = .normal, lockWait: LockWait = .backoff) throws -> Store {
        let location = try DatabaseLocation(path)
        switch location {
        case .sqlite(let path):
            return Store(.sqlite(try openSQLite(path: path, durability: durability, lockWait: lockWait)), location: location)
        case .postgres(let url):
            do {
                let connection = try PostgresConnection(conninfo: PostgresSettings.conninfo(url))
                try connection.executeScript(PostgresSettings.session)
                return Store(.postgres(connection), location: location)
            } catch let error as PostgresError {
                throw OutreachError.wrap(error, while: "connecting to \(url)")
            }
        }
    }

    /// SQLite's process-wide settings, applied once before the first connection opens.
    private static let configured: Bool = outreach_sqlite_configure() == 0

    private static func openSQLite(path: String, durability: Durability, lockWait: LockWait) throws -> DatabaseQueue {
        _ = configured
        var config = Configuration()
        switch lockWait {
        case .backoff:
            config.busyMode = .timeout(busyTimeoutSeconds)
        case .polling:
            config.busyMode = .callback { tries in
                usleep(1000)
                return Double(tries) < busyTimeoutSeconds * 1000
            }
        }
        config.foreignKeysEnabled = true
        config.label = "outreach"
        config.prepareDatabase { db in
            // WAL is a property of the file, set once by `migrate`; synchronous is per connection.
            try db.execute(sql: durability == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            // Keep the -wal file between processes (it is still checkpointed on close): creating
            // it anew costs every cron tick two disk syncs (the file and its folder). Once
            // checkpointed, it is cut back to 16 MiB, whatever a big import made it grow to.
            var persist: Int32 = 1
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            try db.execute(sql: "PRAGMA journal_size_limit = 16777216")
        }
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw OutreachError.wrap(error, while: "opening the database \(path)")
        }
    }

    // MARK: - Migration

    /// Applies pending migrations in one transaction each (SQLite: after switching the file to
    /// WAL). Returns the migrations applied by this call.
    @discardableResult
    public func migrate() throws -> [String] {
        let before = try schemaStatus()
        if !before.unknown.isEmpty {
            throw OutreachError.configuration(
                "This database was migrated by a newer outreach (it has \(before.unknown.joined(separator: ", "))); upgrade outreach.")
        }
        do {
            switch backend {
            case .sqlite(let queue):
                try queue.writeWithoutTransaction { db in
                    if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "memory" {
                        _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                    }
                }
                try SchemaMigrations.migrator().migrate(queue)
                return before.pending
            case .postgres(let connection):
                return try lock.withLock { try SchemaMigrations.migrate(connection) }
            }
        } catch {
            throw OutreachError.wrap(error, while: "migrating the database")
        }
    }

    /// The migration status of the database.
    public func schemaStatus() throws -> SchemaStatus {
        try read("reading the schema status") { db in try SchemaStatus.read(db) }
    }

    // MARK: - Transactions

    /// Runs `work` in a read transaction (one snapshot); errors are wrapped with `doing` as context.
    func read<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T {
        try wrapping(doing) {
            switch backend {
            case .sqlite(let queue):
                return try queue.read { db in try work(SQLiteConnection(db)) }
            case .postgres(let connection):
                return try lock.withLock {
                    try transaction(connection, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", commit: true) { try work(connection) }
                }
            }
        }
    }

    /// Runs `work` in a write transaction holding the write lock, committed when `work`
    /// returns and rolled back when it throws; errors are wrapped with `doing` as context.
    func write<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T {
        try writing(doing, commit: true) { try work($0) }
    }

    /// Runs `work` inside one transaction that is always rolled back: `--dry-run`.
    /// `work` receives the transactions to use for its own units of work (savepoints).
    func withRollback<T>(_ doing: String, _ work: (any DatabaseScope) throws -> T) throws -> T {
        try writing(doing, commit: false) { try work(SavepointTransactions(db: $0)) }
    }

    private func writing<T>(_ doing: String, commit: Bool, _ work: (any SQLConnection) throws -> T) throws -> T {
        try wrapping(doing) {
            switch backend {
            case .sqlite(let queue):
                return try queue.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try work(SQLiteConnection(db))
                        return commit ? .commit : .rollback
                    }
                    return result!
                }
            case .postgres(let connection):
                return try lock.withLock {
                    try transaction(connection, begin: "BEGIN ISOLATION LEVEL READ COMMITTED", commit: commit) {
                        try connection.execute(PostgresSettings.writeLock, [])
                        return try work(connection)
                    }
                }
            }
        }
    }

    private func transaction<T>(_ connection: PostgresConnection, begin: String, commit: Bool, _ work: () throws -> T) throws -> T {
        try connection.executeScript(begin)
        do {
            let result = try work()
            try connection.executeScript(commit ? "COMMIT" : "ROLLBACK")
            return result
        } catch {
            try? connection.executeScript("ROLLBACK")
            throw error
        }
    }

    /// Runs `work`, turning a database error into an `OutreachError` that says what was being done.
    private func wrapping<T>(_ doing: String, _ work: () throws -> T) throws -> T {
        try Store.wrapping(doing, work)
    }

    static func wrapping<T>(_ doing: String, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        } catch let error as PostgresError {
            throw OutreachError.wrap(error, while: doing)
        }
    }
}

extension Store {
    /// Runs `work` with real commits, or, when `rollback` is true, inside one transaction
    /// that is rolled back at the end (`--dry-run`): the same code either way.
    func withTransactions<T>(rollback: Bool, _ doing: String, _ work: (any DatabaseScope) throws -> T) throws -> T {
        rollback ? try withRollback(doing, work) : try work(self)
    }
}

/// Where a tick's units of work run: a `Store` (real transactions), or the savepoints of one
/// transaction that is rolled back at the end (`--dry-run`). The tick is written against
/// this, so a dry run executes exactly the code a real run does.
protocol DatabaseScope {
    /// Runs one unit of work atomically.
    func write<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T
    /// Runs a read.
    func read<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T
}

extension Store: DatabaseScope {}

/// Units of work as savepoints of an enclosing transaction.
struct SavepointTransactions: DatabaseScope {
    let db: any SQLConnection

    func write<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T {
        try Store.wrapping(doing) {
            var result: T?
            try db.inSavepoint {
                result = try work(db)
                return .commit
            }
            return result!
        }
    }

    func read<T>(_ doing: String, _ work: (any SQLConnection) throws -> T) throws -> T {
        try Store.wrapping(doing) { try work(db) }
    }
}
