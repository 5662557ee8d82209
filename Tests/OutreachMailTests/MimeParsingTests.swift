import Foundation
import Testing
@testable import OutreachMail

@Suite struct MimeParsingTests {
    @Test func quotedPrintable() {
        let decoded = TransferEncoding.decodeQuotedPrintable(Array("caf=C3=A9 soft=\r\nbreak=\nend".utf8))
        #expect(String(decoding: decoded.bytes, as: UTF8.self) == "café softbreakend")
        #expect(decoded.problem == nil)
        let invalid = TransferEncoding.decodeQuotedPrintable(Array("a=ZZb=4".utf8))
        #expect(String(decoding: invalid.bytes, as: UTF8.self) == "a=ZZb=4")
        #expect(invalid.problem != nil)
        #expect(TransferEncoding.decodeQuotedPrintable(Array("trailing=".utf8)).bytes == Array("trailing".utf8))
    }

    @Test func base64() {
        #expect(TransferEncoding.decodeBase64(Array("aGVsbG8g\r\nd29ybGQ=".utf8)).bytes == Array("hello world".utf8))
        let unpadded = TransferEncoding.decodeBase64(Array("aGVsbG8".utf8))
        #expect(unpadded.bytes == Array("hello".utf8))
        let garbage = TransferEncoding.decodeBase64(Array("aGV*sbG8=!!".utf8))
        #expect(garbage.bytes == Array("hello".utf8))
        #expect(garbage.problem != nil)
        #expect(TransferEncoding.decodeBase64(Array("aGk=aGk=".utf8)).bytes == Array("hihi".utf8))
        #expect(TransferEncoding.decodeBase64(Array("A".utf8)).problem != nil)
    }

    static let nested = """
        From: a@b.example
        Content-Type: multipart/mixed; boundary="outer"

        preamble text
        --outer
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: quoted-printable

        caf=E9
        --inner
        Content-Type: text/html

        <p>caf&eacute;</p>
        --inner--
        --outer
        Content-Type: message/rfc822

        Message-ID: <inner@x.example>
        Subject: inside

        hi
        --outer--
        epilogue
        """

    @Test(arguments: [false, true])
    func nestedMultipart(crlf: Bool) throws {
        let message = MimeMessage(parsing: mailData(Self.nested, crlf: crlf))
        #expect(message.contentType.mimeType == "multipart/mixed")
        #expect(message.parts.count == 2)
        let alternative = message.parts[0]
        #expect(alternative.parts.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        #expect(alternative.parts[0].text == "café")
        let embedded = try #require(message.parts[1].embeddedMessage)
        #expect(embedded.headers["Message-ID"] == "<inner@x.example>")
        #expect(message.allProblems.isEmpty)
        #expect(message.allParts.count == 6)
    }

    @Test func missingFinalBoundaryAndTruncation() {
        let text = """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            first
            --b
            Content-Type: text/plain

            second, cut off in the midd
            """
        let message = MimeMessage(parsing: mailData(text))
        #expect(message.parts.count == 2)
        #expect(message.parts[1].text.hasPrefix("second"))
        #expect(message.allProblems.contains { $0.contains("missing closing boundary") })
        // Truncated at every byte: never traps, always returns a tree.
        let bytes = Array(mailData(Self.nested))
        for length in 0...bytes.count {
            let partial = MimeMessage(parsing: Array(bytes.prefix(length)))
            _ = MailClassifier.classify(partial)
        }
    }

    @Test func boundsOnNestingAndParts() {
        var deep = "Content-Type: text/plain\n\nbottom\n"
        for level in 0..<40 {
            deep = "Content-Type: multipart/mixed; boundary=l\(level)\n\n--l\(level)\n\(deep)--l\(level)--\n"
        }
        let nested = MimeMessage(parsing: mailData(deep))
        #expect(nested.allProblems.contains { $0.contains("nesting deeper") })
        var many = "Content-Type: multipart/mixed; boundary=x\n\n"
        for _ in 0..<1500 { many += "--x\nContent-Type: text/plain\n\np\n" }
        many += "--x--\n"
        let wide = MimeMessage(parsing: mailData(many))
        #expect(wide.allParts.count <= MimeMessage.maxParts)
        #expect(wide.allProblems.contains { $0.contains("more than") })
    }

    @Test func tenMegabyteAttachmentParsesQuickly() throws {
        var payload = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 31) }
        let encoded = Data(payload).base64EncodedString(options: .lineLength76Characters)
        let text = """
            From: MAILER-DAEMON@mx.example
            Subject: Undelivered Mail Returned to Sender
            Content-Type: multipart/report; report-type=delivery-status; boundary=B

            --B
            Content-Type: text/plain

            <kijitora@example.org>: host mx.example said: 550 5.1.1 User unknown (in reply to RCPT TO command)
            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            Final-Recipient: rfc822; kijitora@example.org
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 User unknown

            --B
            Content-Type: message/rfc822

            Message-ID: <outreach.inst.key@example.com>
            X-Outreach-Key: inst:key
            Content-Type: multipart/mixed; boundary=C

            --C
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            \(encoded)
            --C--
            --B--
            """
        let data = mailData(text, crlf: true)
        let start = Date()
        let result = MailClassifier.classify(data)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.kind == .bounce)
        #expect(result.recipients.first?.hard == true)
        #expect(result.originalMessageID == "outreach.inst.key@example.com")
        #expect(result.outreachKey == "inst:key")
        print("10 MB message classified in \(String(format: "%.3f", elapsed)) s")
        #expect(elapsed < 1.0, "classification took \(elapsed) s")
        let attachment = try #require(MimeMessage(parsing: data).allParts.first { $0.contentType.mimeType == "application/octet-stream" })
        let decodeStart = Date()
        #expect(attachment.decodedBody().bytes == payload)
        #expect(Date().timeIntervalSince(decodeStart) < 1.0)
    }

    @Test func invalidEncodingsAndGarbageNeverTrap() {
        let invalid = """
            Subject: =?utf-8?B?####?= =?x?Q?=ZZ?=
            Content-Type: text/plain; charset=no-such-charset
            Content-Transfer-Encoding: base64

            ####!!!!====
            """
        let message = MimeMessage(parsing: mailData(invalid))
        _ = message.text
        #expect(MailClassifier.classify(mailData(invalid)).problems.contains { $0.hasPrefix("base64") })
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("From: x@y.example\nContent-Type: multipart/mixed; boundary=b\n--b\n\r=?Q?B:;<>@\"\u{0}\u{FF}".utf8)
        for round in 0..<300 {
            let length = Int.random(in: 0...3000, using: &generator)
            let bytes: [UInt8] = round % 2 == 0
                ? (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                : (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            let parsed = MimeMessage(parsing: bytes)
            _ = parsed.allParts.map { $0.text }
            _ = MailClassifier.classify(Data(bytes))
        }
        _ = MailClassifier.classify(Data())
        _ = MailClassifier.classify(Data([0xFF, 0xFE, 0x00, 0x0A, 0x0D]))
    }
}

@Suite struct LargeTextTests {
    @Test(arguments: ["quoted-printable", "8bit"])
    func hugeTextBodiesStayFast(encoding: String) {
        let line = encoding == "quoted-printable" ? "caf=C3=A9 <b>bold</b> text with =\n" : "café <b>bold</b> text with\n"
        let body = String(repeating: line, count: 10 * 1024 * 1024 / line.utf8.count)
        for type in ["text/plain", "text/html"] {
            let data = mailData("From: a@b.example\nSubject: big\nContent-Type: \(type); charset=utf-8\nContent-Transfer-Encoding: \(encoding)\n\n" + body)
            let start = Date()
            let result = MailClassifier.classify(data)
            let elapsed = Date().timeIntervalSince(start)
            #expect(result.kind == .message)
            print("10 MB \(type) (\(encoding)) classified in \(String(format: "%.3f", elapsed)) s")
            #expect(elapsed < 1.0, "\(type) \(encoding): \(elapsed) s")
        }
    }
}
