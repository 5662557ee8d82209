import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// Opening, migrating and refusing databases.
@Suite("Store")
struct StoreTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("every file in migrations/ is embedded and registered, in order")
    func migrationsAreRegistered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repositoryRoot.appendingPathComponent("migrations").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(SchemaMigrations.all.map { $0.identifier + ".sql" } == files)
        for (identifier, sql) in SchemaMigrations.all {
            let onDisk = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("migrations/\(identifier).sql"), encoding: .utf8)
            #expect(sql == onDisk)
        }
        // The PostgreSQL dialect: the same identifiers, one file each, embedded as they are.
        let postgres = try FileManager.default.contentsOfDirectory(atPath: Self.repositoryRoot.appendingPathComponent("migrations/postgres").path)
            .filter { $0.hasSuffix(".pg.sql") }.sorted()
        #expect(SchemaMigrations.postgres.map { $0.identifier + ".pg.sql" } == postgres)
        #expect(SchemaMigrations.postgres.map(\.identifier) == SchemaMigrations.all.map(\.identifier))
        for (identifier, sql) in SchemaMigrations.postgres {
            let onDisk = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("migrations/postgres/\(identifier).pg.sql"), encoding: .utf8)
            #expect(sql == onDisk)
        }
    }

    @Test("migrate creates a WAL database, is idempotent, and a migrated database opens")
    func migrate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("o.sqlite").path
        #expect(try Store.connect(path: path).migrate() == SchemaMigrations.all.map(\.identifier))
        #expect(try Store.connect(path: path).migrate().isEmpty)
        let store = try Store.open(path: path)
        #expect(try store.read("mode") { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.schemaStatus().isCurrent)
    }

    @Test("a missing, un-migrated or newer database is refused with what to do")
    func refusals() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("o.sqlite").path

        let missing = #expect(throws: OutreachError.self) { try Store.open(path: path) }
        #expect(missing?.category == .configuration)
        #expect(missing?.message.contains("outreach migrate") == true)
        #expect(!FileManager.default.fileExists(atPath: path), "refusing must not create the file")

        _ = try Store.connect(path: path).read("touch") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        let empty = #expect(throws: OutreachError.self) { try Store.open(path: path) }
        #expect(empty?.message.contains("is not migrated") == true)

        let store = try Store.connect(path: path)
        try store.migrate()
        try store.write("future") { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        let newer = #expect(throws: OutreachError.self) { try Store.open(path: path) }
        #expect(newer?.message.contains("newer outreach") == true)
    }

    @Test("a scan that stops early or throws leaves the connection ready for the next statement")
    func scanStopsCleanly() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads((1...300).map { "lead\($0)@example.org" })
        struct Stop: Error {}
        let (firstTwo, afterStop, afterThrow, count) = try fixture.store.read("scanning") { db in
            var seen: [String] = []
            try db.scan("SELECT email FROM leads ORDER BY id", []) { row in
                seen.append(row.string(0) ?? "")
                return seen.count < 2
            }
            let afterStop = try db.first("SELECT count(*) FROM leads", []) { $0.int(0) }
            #expect(throws: Stop.self) {
                try db.scan("SELECT email FROM leads ORDER BY id", []) { _ in throw Stop() }
            }
            let afterThrow = try db.first("SELECT email FROM leads ORDER BY id DESC LIMIT 1", []) { $0.string(0) }
            var count = 0
            try db.forEach("SELECT id FROM leads", []) { _ in count += 1 }
            return (seen, afterStop, afterThrow, count)
        }
        #expect(firstTwo == ["lead1@example.org", "lead2@example.org"])
        #expect(afterStop == 300)
        #expect(afterThrow == "lead300@example.org")
        #expect(count == 300)
    }

    @Test("the schema refuses what must never happen: a second job for a key, an unknown status")
    func constraints() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["ada@example.org"])
        try fixture.tick()
        #expect(throws: OutreachError.self) {
            try fixture.store.write("duplicate") { db in
                try db.execute(sql: "INSERT INTO jobs SELECT NULL, campaign_id, lead_id, run_id, idempotency_key, step_id, 5, mode, transport, status, attempt, next_attempt_at, last_error, created_at, updated_at FROM jobs")
            }
        }
        #expect(throws: OutreachError.self) {
            try fixture.store.write("unknown status") { db in try db.execute(sql: "UPDATE leads SET status = 'sleeping'") }
        }
    }
}
