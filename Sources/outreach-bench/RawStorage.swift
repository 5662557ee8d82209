import Foundation
import CSQLiteTuning
import GRDBSQLite
import OutreachCore

/// The storage limit: the same per-lead database work as a proof tick, written directly
/// against the SQLite C API with prepared statements in one transaction. Same schema, same
/// rows, same statements (selection in the tick's order, the list lookups, the job, its
/// message, the decision, the lead update); none of the tick's logic, rendering or checks.
final class RawStorage {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// The same process-wide SQLite settings outreach uses (multi-thread mode, no memory
    /// statistics), so the baseline is the limit of the same SQLite.
    static let configured = outreach_sqlite_configure() == 0

    init(path: String) throws {
        _ = Self.configured
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw BenchError("cannot open \(path)")
        }
        try exec("PRAGMA synchronous = NORMAL")
        try exec("PRAGMA foreign_keys = ON")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("raw SQL failed: \(String(cString: sqlite3_errmsg(db))) in \(sql)")
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return cached
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("cannot prepare: \(String(cString: sqlite3_errmsg(db)))")
        }
        statements[sql] = statement
        return statement
    }

    private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ statement: OpaquePointer, _ values: [Any?]) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case let text as String: sqlite3_bind_text(statement, index, text, -1, transient)
            case let number as Int64: sqlite3_bind_int64(statement, index, number)
            case let number as Int: sqlite3_bind_int64(statement, index, Int64(number))
            default: sqlite3_bind_null(statement, index)
            }
        }
    }

    @discardableResult
    private func run(_ sql: String, _ values: [Any?]) throws -> Bool {
        let statement = try statement(sql)
        bind(statement, values)
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW || code == SQLITE_DONE else {
            throw BenchError("raw step failed: \(String(cString: sqlite3_errmsg(db)))")
        }
        return code == SQLITE_ROW
    }

    /// Processes every due lead of campaign 1 like a proof tick; returns how many.
    func tick(now: String, runID: String, message: String) throws -> Int {
        try exec("BEGIN IMMEDIATE")
        try run(RawStatements.insertRun, [runID, now, String(now.prefix(10))])
        var cursorTime = ""
        var cursorID: Int64 = 0
        var processed = 0
        while true {
            let select = try statement(RawStatements.selectDue)
            bind(select, [now, cursorTime, cursorID, runID])
            var batch: [(Int64, String, Bool)] = []
            while sqlite3_step(select) == SQLITE_ROW {
                let id = sqlite3_column_int64(select, 0)
                let email = String(cString: sqlite3_column_text(select, 1))
                batch.append((id, email, sqlite3_column_int(select, 2) != 0))
                cursorTime = String(cString: sqlite3_column_text(select, 3))
                cursorID = id
            }
            if batch.isEmpty { break }
            for (id, email, dnc) in batch {
                processed += 1
                let domain = RawStatements.domain(of: email)
                var blocked = dnc
                if !blocked { blocked = try run(RawStatements.unsubscribed, [email]) }
                if !blocked { blocked = try run(RawStatements.suppressed, ["email", email, now]) }
                if !blocked { blocked = try run(RawStatements.suppressed, ["domain", domain, now]) }
                if blocked {
                    try run(RawStatements.block, [now, id])
                    try insertDecision(runID: runID, leadID: id, decision: "skipped_dnc", jobID: nil, now: now, statusAfter: "blocked", next: nil)
                    continue
                }
                try run(RawStatements.lastContacted, [email])
                try run(RawStatements.takeSeq, [])
                try run(RawStatements.insertJob, [id, runID, "1:\(id):intro:0", now, now])
                let jobID = sqlite3_last_insert_rowid(db)
                try run(RawStatements.insertMessage, [jobID, message])
                try run(RawStatements.advance, [RawStatements.nextStep, now, now, id])
                try insertDecision(runID: runID, leadID: id, decision: "dispatched", jobID: jobID, now: now, statusAfter: "active",
                                   next: RawStatements.nextStep)
            }
        }
        try exec("COMMIT")
        return processed
    }

    private func insertDecision(runID: String, leadID: Int64, decision: String, jobID: Int64?, now: String, statusAfter: String,
                                next: String?) throws {
        try run(RawStatements.insertDecision(withSeq: jobID != nil),
                [runID, leadID, decision, jobID, jobID == nil ? nil : "sent_proof", jobID == nil ? nil : 1,
                 jobID == nil ? nil : String(now.prefix(10)), statusAfter, next, now])
    }

    /// Inserts the rows of a lead CSV (as the importer would store them) in one transaction.
    func insertLeads(csv path: String, now: String) throws -> Int {
        var reader = try CSVReader(path: path)
        _ = try reader.next()
        try exec("BEGIN IMMEDIATE")
        var count = 0
        let insert = RawStatements.insertLead
        while let record = try reader.next() {
            let fields = record.fields
            let dnc = fields[5] == "true"
            try run(insert, [fields[0], fields[1], fields[2], fields[3], fields[4].isEmpty ? nil : fields[4],
                             "{\"team\":\"\(fields[6])\"}", dnc ? 1 : 0, dnc ? now : nil, dnc ? "imported" : nil, now, now, now])
            count += 1
        }
        try exec("COMMIT")
        return count
    }

    /// The query plan of the tick's selection, one line per step.
    func selectionPlan() throws -> [String] {
        let plan = try statement("EXPLAIN QUERY PLAN " + RawStatements.selectDue)
        bind(plan, ["2026-11-23T15:00:00Z", "", 0, "r"])
        var lines: [String] = []
        while sqlite3_step(plan) == SQLITE_ROW { lines.append(String(cString: sqlite3_column_text(plan, 3))) }
        return lines
    }

    /// The average length of the stored messages (so the raw baseline writes as many bytes).
    func averageMessageLength() throws -> Int {
        let statement = try statement("SELECT coalesce(avg(length(message)), 0) FROM job_messages")
        guard sqlite3_step(statement) == SQLITE_ROW else { return 0 }
        return Int(sqlite3_column_double(statement, 0))
    }
}
