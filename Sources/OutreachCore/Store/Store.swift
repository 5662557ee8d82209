import CSQLiteTuning
import Foundation
import GRDB
import GRDBSQLite

/// The one way into the database: opening, schema checks, and transactions.
///
/// A `Store` wraps `any DatabaseWriter` (a file in production, a temporary file or memory in
/// tests). Every write runs in a `BEGIN IMMEDIATE` transaction, so a reader-turned-writer can
/// never deadlock and the clock is read only after the write lock is held: timestamps then
/// follow commit order, which is what the proof checks compare.
public struct Store: Sendable {
    /// How durably commits reach the disk.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL`: WAL-safe against crashes, may lose the last commits on power loss.
        case normal
        /// `synchronous=FULL`: every commit is on disk before it returns (live dispatch claims).
        case full
    }

    /// The database connection.
    public let writer: any DatabaseWriter

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

    public init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Opens an existing, fully migrated database; refuses anything else with a sentence that
    /// says what to do (exit 78).
    public static func open(path: String, durability: Durability = .normal, lockWait: LockWait = .backoff) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw OutreachError.configuration("There is no database at \(path); run `outreach migrate --db \(path)` first.")
        }
        let store = try connect(path: path, durability: durability, lockWait: lockWait)
        let status = try store.read("checking the schema") { db in try SchemaStatus.read(db) }
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

    /// SQLite's process-wide settings, applied once before the first connection opens.
    private static let configured: Bool = outreach_sqlite_configure() == 0

    /// Opens or creates a database file without checking its schema (for `migrate`).
    public static func connect(path: String, durability: Durability = .normal, lockWait: LockWait = .backoff) throws -> Store {
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
            let queue = try DatabaseQueue(path: path, configuration: config)
            return Store(writer: queue)
        } catch {
            throw OutreachError.wrap(error, while: "opening the database \(path)")
        }
    }

    // MARK: - Migration

    /// Applies pending migrations in one transaction each, after switching the file to WAL.
    /// Returns the migrations applied by this call.
    @discardableResult
    public func migrate() throws -> [String] {
        do {
            let before = try writer.read { db in try SchemaStatus.read(db) }
            if !before.unknown.isEmpty {
                throw OutreachError.configuration(
                    "This database was migrated by a newer outreach (it has \(before.unknown.joined(separator: ", "))); upgrade outreach.")
            }
            try writer.writeWithoutTransaction { db in
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "memory" {
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                }
            }
            try SchemaMigrations.migrator().migrate(writer)
            return before.pending
        } catch {
            throw OutreachError.wrap(error, while: "migrating the database")
        }
    }

    /// The migration status of the database.
    public func schemaStatus() throws -> SchemaStatus {
        try read("reading the schema status") { db in try SchemaStatus.read(db) }
    }

    // MARK: - Transactions

    /// Runs `work` in a read transaction; errors are wrapped with `doing` as context.
    public func read<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T {
        do {
            return try writer.read { db in try work(db) }
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        }
    }

    /// Runs `work` in a `BEGIN IMMEDIATE` transaction, committed when `work` returns and
    /// rolled back when it throws; errors are wrapped with `doing` as context.
    public func write<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try work(db)
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        }
    }

    /// Runs `work` inside one transaction that is always rolled back: `--dry-run`.
    /// `work` receives the transactions to use for its own units of work (savepoints).
    public func withRollback<T>(_ doing: String, _ work: (any DatabaseScope) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try work(SavepointTransactions(db: db))
                    return .rollback
                }
                return result!
            }
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        }
    }
}

extension Store {
    /// Runs `work` with real commits, or, when `rollback` is true, inside one transaction
    /// that is rolled back at the end (`--dry-run`): the same code either way.
    public func withTransactions<T>(rollback: Bool, _ doing: String, _ work: (any DatabaseScope) throws -> T) throws -> T {
        rollback ? try withRollback(doing, work) : try work(self)
    }
}

/// Where a tick's units of work run: a `Store` (real `BEGIN IMMEDIATE` transactions), or the
/// savepoints of one transaction that is rolled back at the end (`--dry-run`). The tick is
/// written against this, so a dry run executes exactly the code a real run does.
public protocol DatabaseScope {
    /// Runs one unit of work atomically.
    func write<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T
    /// Runs a read.
    func read<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T
}

extension Store: DatabaseScope {}

/// Units of work as savepoints of an enclosing transaction.
struct SavepointTransactions: DatabaseScope {
    let db: Database

    func write<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T {
        do {
            var result: T?
            try db.inSavepoint {
                result = try work(db)
                return .commit
            }
            return result!
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        }
    }

    func read<T>(_ doing: String, _ work: (Database) throws -> T) throws -> T {
        do {
            return try work(db)
        } catch let error as DatabaseError {
            throw OutreachError.wrap(error, while: doing)
        }
    }
}
