import Foundation
import OutreachCore

/// The PostgreSQL storage limit: `RawStatements` sent through the client outreach uses
/// (`PostgresConnection`, libpq, each statement prepared once) in one transaction that takes
/// the same write lock as every outreach writer. None of the tick's logic, rendering or checks.
final class RawPostgres {
    private let db: PostgresConnection

    init(url: String) throws {
        db = try PostgresConnection(conninfo: url)
    }

    /// Processes every due lead of campaign 1 like a proof tick; returns how many. With
    /// `commitEvery`, commits after that many leads (as the tick commits its groups);
    /// without, everything is one transaction.
    func tick(now: String, runID: String, message: String, commitEvery: Int? = nil) throws -> Int {
        try begin()
        try db.execute(RawStatements.insertRun, [.text(runID), .text(now), .text(String(now.prefix(10)))])
        var cursorTime = ""
        var cursorID: Int64 = 0
        var processed = 0
        while true {
            var batch: [(Int64, String, Bool)] = []
            try db.forEach(RawStatements.selectDue, [.text(now), .text(cursorTime), .int(cursorID), .text(runID)]) { row in
                let id = row.int64(0)
                batch.append((id, row.string(1) ?? "", row.bool(2)))
                cursorTime = row.string(3) ?? ""
                cursorID = id
            }
            if batch.isEmpty { break }
            for (id, email, dnc) in batch {
                processed += 1
                if let commitEvery, processed % commitEvery == 0 {
                    try db.executeScript("COMMIT")
                    try begin()
                }
                var blocked = dnc
                if !blocked { blocked = try exists(RawStatements.unsubscribed, [.text(email)]) }
                if !blocked { blocked = try exists(RawStatements.suppressed, [.text("email"), .text(email), .text(now)]) }
                if !blocked {
                    blocked = try exists(RawStatements.suppressed, [.text("domain"), .text(RawStatements.domain(of: email)), .text(now)])
                }
                if blocked {
                    try db.execute(RawStatements.block, [.text(now), .int(id)])
                    try insertDecision(runID: runID, leadID: id, decision: "skipped_dnc", jobID: nil, now: now, statusAfter: "blocked", next: nil)
                    continue
                }
                _ = try exists(RawStatements.lastContacted, [.text(email)])
                try db.execute(RawStatements.takeSeq, [])
                // PostgreSQL has no last-insert id: the insert returns it, as the tick's does.
                let jobID = try db.first(RawStatements.insertJob + " RETURNING id",
                                         [.int(id), .text(runID), .text("1:\(id):intro:0"), .text(now), .text(now)]) { $0.int64(0) } ?? 0
                try db.execute(RawStatements.insertMessage, [.int(jobID), .text(message)])
                try db.execute(RawStatements.advance, [.text(RawStatements.nextStep), .text(now), .text(now), .int(id)])
                try insertDecision(runID: runID, leadID: id, decision: "dispatched", jobID: jobID, now: now, statusAfter: "active",
                                   next: RawStatements.nextStep)
            }
        }
        try db.executeScript("COMMIT")
        return processed
    }

    /// A write transaction as outreach opens one on PostgreSQL: READ COMMITTED, then the lock
    /// on the commit counter's row that serializes writers.
    private func begin() throws {
        try db.executeScript("BEGIN ISOLATION LEVEL READ COMMITTED")
        try db.execute("SELECT value FROM commit_sequence WHERE id = 1 FOR UPDATE", [])
    }

    private func exists(_ sql: String, _ values: [SQLValue]) throws -> Bool {
        try db.first(sql, values) { _ in true } ?? false
    }

    private func insertDecision(runID: String, leadID: Int64, decision: String, jobID: Int64?, now: String, statusAfter: String,
                                next: String?) throws {
        let dispatched = jobID != nil
        try db.execute(RawStatements.insertDecision(withSeq: dispatched), [
            .text(runID), .int(leadID), .text(decision), jobID.map { .int($0) } ?? .null, dispatched ? .text("sent_proof") : .null,
            dispatched ? .int(1) : .null, dispatched ? .text(String(now.prefix(10))) : .null, .text(statusAfter),
            next.map { .text($0) } ?? .null, .text(now),
        ])
    }

    /// One number from a query (counts for the benchmark's own bookkeeping).
    func count(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        try db.first(sql, values) { $0.int(0) } ?? 0
    }

    /// Rows of text columns (the per-host tally).
    func rows(_ sql: String) throws -> [[String]] {
        try db.all(sql, []) { row in (0..<row.count).map { row.string($0) ?? "" } }
    }

    func execute(_ sql: String) throws {
        try db.executeScript(sql)
    }
}
