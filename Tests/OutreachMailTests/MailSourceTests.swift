import Foundation
import Testing
@testable import OutreachMail

@Suite struct MailSourceTests {
    /// A fresh temporary folder for one test.
    func scratch() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func maildirReadsNewAndCurSortedByName() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("Subject: b\n\nb\n", to: root + "/cur/1700000002.M2.host:2,S")
        try write("Subject: a\n\na\n", to: root + "/new/1700000001.M1.host")
        try write("Subject: c\n\nc\n", to: root + "/new/1700000003.M3.host")
        try write("ignored", to: root + "/tmp/1700000000.M0.host")
        let source = try MailSource(path: root)
        #expect(source.layout == .maildir)
        let messages = try source.messages()
        #expect(messages.map(\.name) == ["new/1700000001.M1.host", "cur/1700000002.M2.host:2,S", "new/1700000003.M3.host"])
        #expect(MimeMessage(parsing: messages[0].bytes).headers["Subject"] == "a")
    }

    @Test func mboxSplitsAndUnescapes() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let mbox = root + "/inbox"
        try write("""
            From sender@example.org Thu Apr 29 23:34:45 2010
            Subject: one

            >From the start of a line
            >>From stays quoted once
            From inside a paragraph is not a separator

            From MAILER-DAEMON Fri Apr 30 00:00:00 2010
            Subject: two

            second

            """, to: mbox)
        let source = try MailSource(path: mbox)
        #expect(source.layout == .mbox)
        let messages = try source.messages()
        #expect(messages.map(\.name) == ["inbox#1", "inbox#2"])
        let first = String(decoding: messages[0].bytes, as: UTF8.self)
        #expect(first == "Subject: one\n\nFrom the start of a line\n>From stays quoted once\nFrom inside a paragraph is not a separator\n")
        #expect(String(decoding: messages[1].bytes, as: UTF8.self) == "Subject: two\n\nsecond\n")
    }

    @Test func singleFileAndFolder() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("From MAILER-DAEMON Sat Oct  4 08:00:09 2025\nSubject: eml\n\nFrom x\n\nFrom y\n", to: root + "/b.eml")
        try write("Subject: plain\n\nbody\n", to: root + "/a.txt")
        try write("hidden", to: root + "/.DS_Store")
        let single = try MailSource(path: root + "/b.eml")
        #expect(single.layout == .singleFile)
        #expect(try single.messages().map(\.name) == ["b.eml"])
        let folder = try MailSource(path: root)
        #expect(folder.layout == .folder)
        #expect(try folder.messages().map(\.name) == ["a.txt", "b.eml"])
    }

    @Test func errorsNameThePath() throws {
        #expect(throws: MailSourceError.notFound(path: "/no/such/place")) { try MailSource(path: "/no/such/place") }
        #expect(MailSourceError.notFound(path: "/x").description.contains("/x"))
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let empty = try MailSource(path: root)
        #expect(throws: MailSourceError.noMessages(path: root)) { try empty.messages() }
    }

    @Test("an empty Maildir is a mailbox with nothing new, not an error")
    func emptyMaildir() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/new", withIntermediateDirectories: true)
        let source = try MailSource(path: root)
        #expect(source.layout == .maildir)
        #expect(try source.messages().isEmpty)
    }
}
