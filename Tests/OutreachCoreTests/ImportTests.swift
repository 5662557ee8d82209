import Foundation
import GRDB
import Testing
@testable import OutreachCore

/// CSV reading and lead import (SPEC §3 `leads import`).
@Suite("Lead import")
struct ImportTests {
    @Test("the CSV reader handles quotes, escaped quotes, line breaks in fields, CRLF and reports start lines")
    func csvReader() throws {
        var reader = CSVReader(text: "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z\n\nlast,row")
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(records == [
            CSVRecord(line: 1, fields: ["a", "b"]),
            CSVRecord(line: 2, fields: ["x, y", "say \"hi\""]),
            CSVRecord(line: 3, fields: ["multi\nline", "z"]),
            CSVRecord(line: 6, fields: ["last", "row"]),
        ])
        var broken = CSVReader(text: "a,b\n\"open,x\n")
        _ = try broken.next()
        #expect(throws: CSVSyntaxError.self) { try broken.next() }
    }

    @Test("a clean import creates leads with normalized emails and keeps extra columns as attributes")
    func cleanImport() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let report = try fixture.importLeads("""
            email,first_name,last_name,company,timezone,plan
            " Ada@Example.ORG ",Ada,Lovelace,Acme,Europe/London,gold
            bob@example.org,Bob,,Beta,,
            """)
        #expect(report.inserted == 2)
        let ada = try fixture.lead("ada@example.org")
        #expect(ada.firstName == "Ada")
        #expect(ada.timezone == "Europe/London")
        #expect(ada.attributes == ["plan": "gold"])
        #expect(ada.status == .new)
        #expect(ada.nextActionAt == fixture.clock.now())
        #expect(try fixture.lead("bob@example.org").lastName == nil)
    }

    @Test("re-importing updates details and attributes but never resets progress")
    func reimportKeepsProgress() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.importLeads("email,first_name,company,plan,team\nada@example.org,Ada,Acme,gold,red\n")
        try fixture.tick()

        let report = try fixture.importLeads("email,first_name,company,plan\nada@example.org,Augusta,Acme,silver\n")

        #expect(report.updated == 1)
        let ada = try fixture.lead("ada@example.org")
        #expect(ada.firstName == "Augusta")
        #expect(ada.attributes == ["plan": "silver", "team": "red"])
        #expect(ada.stepIndex == 1)
        #expect(ada.status == .active)
        #expect(try fixture.importLeads("email,first_name,company,plan\nada@example.org,Augusta,Acme,silver\n").unchanged == 1)
    }

    @Test("any invalid row fails the whole import with line numbers, and nothing is written")
    func allOrNothing() throws {
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.addLeads(["kept@example.org"])
        let before = try fixture.scalar("SELECT count(*) FROM leads")

        let error = #expect(throws: OutreachError.self) {
            try fixture.importLeads("""
                email,first_name,timezone
                good@example.org,Good,
                not-an-email,Bad,
                tz@example.org,Tz,Mars/Base
                short@example.org
                dup@example.org,One,
                dup@example.org,Two,
                """)
        }

        #expect(error?.category == .badInput)
        let message = error?.message ?? ""
        #expect(message.contains("4 invalid rows"))
        #expect(message.contains("line 3:"))
        #expect(message.contains("line 4: 'Mars/Base' is not an IANA time zone"))
        #expect(message.contains("line 5: expected 3 fields like the header, found 1"))
        #expect(message.contains("line 7: dup@example.org is also on line 6 with different values"))
        #expect(try fixture.scalar("SELECT count(*) FROM leads") == before)
    }

    @Test("with --rejects, valid rows are imported and invalid ones go to the rejects file with line and reason")
    func rejectsFile() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let rejects = fixture.directory.appendingPathComponent("rejects.csv").path

        let report = try fixture.importLeads("email,first_name\ngood@example.org,Good\n=bad,Evil\nsame@example.org,S\nsame@example.org,S\n",
                                             rejects: rejects)

        #expect(report.inserted == 2)
        #expect(report.rejected == 1)
        #expect(report.repeated == 1)
        let text = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(text.hasPrefix("line,reason,email,first_name\r\n3,"))
        #expect(text.contains("'=bad"), "the rejected cell is neutralised against formulas")
    }

    @Test("a header without email, an empty file and a missing file are refused")
    func headerAndFileErrors() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let noEmail = #expect(throws: OutreachError.self) { try fixture.importLeads("name\nx\n") }
        #expect(noEmail?.message.contains("line 1: the header has no email column") == true)
        let empty = #expect(throws: OutreachError.self) { try fixture.importLeads("") }
        #expect(empty?.category == .badInput)
        let missing = #expect(throws: OutreachError.self) {
            try LeadImporter(store: fixture.store, clock: fixture.clock).run(slug: "q4-launch", path: "/nonexistent.csv")
        }
        #expect(missing?.category == .inputMissing)
        let unknown = #expect(throws: OutreachError.self) { try fixture.importLeads("email\na@example.org\n", slug: "nope") }
        #expect(unknown?.category == .badInput)
    }

    @Test("a dry-run import reports the counts and writes nothing")
    func dryRun() throws {
        let fixture = try Fixture()
        try fixture.apply()
        let file = fixture.directory.appendingPathComponent("d.csv")
        try "email\na@example.org\nb@example.org\n".write(to: file, atomically: true, encoding: .utf8)
        let report = try LeadImporter(store: fixture.store, clock: fixture.clock)
            .run(slug: "q4-launch", path: file.path, options: .init(dryRun: true))
        #expect(report.inserted == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM leads") == 0)
    }
}
