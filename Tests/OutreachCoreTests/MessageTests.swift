import Foundation
import Testing
@testable import OutreachCore

/// The message builder: RFC 5322 structure, RFC 2047 headers, no header injection.
@Suite("Messages")
struct MessageTests {
    func message(firstName: String = "Ada", lastName: String? = "Lovelace", subject: String = "Hi {{first_name}}",
                 body: String = "Hello {{first_name}}") throws -> (OutgoingMessage, String) {
        let campaign = try CampaignFactory.campaign(CampaignFactory.yaml(steps: """
            steps:
              - { id: intro, subject: \(JSONText.quote(subject)), body: \(JSONText.quote(body)) }
            """))
        let builder = try MessageBuilder(campaign: campaign, secrets: SecretEnvironment(["OUTREACH_UNSUB_SECRET": "k"]),
                                         installationID: "0123456789abcdef")
        // A real lead row, imported the way operators import them.
        let fixture = try Fixture()
        try fixture.apply()
        try fixture.importLeads(CSVWriter.line(["email", "first_name", "last_name", "company"])
            + CSVWriter.line(["ada@example.org", firstName, lastName ?? "", "Acme"]))
        let lead = try fixture.lead("ada@example.org")
        let built = try builder.build(lead: lead, stepIndex: 0, idempotencyKey: "1:\(lead.id):intro:0",
                                      date: Timestamp.parse("2026-11-23T15:00:00Z")!).get()
        return (built, RFC5322.render(built))
    }

    func headers(_ text: String) -> [String] {
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        return head.components(separatedBy: "\r\n").filter { !$0.hasPrefix(" ") }.map { String($0.prefix { $0 != ":" }) }
    }

    @Test("a message has CRLF lines, one Date, From and Message-ID, List-Unsubscribe with a verifiable token, and the footer")
    func structure() throws {
        let (built, text) = try message()
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends with CRLF")
        let names = headers(text)
        for name in ["Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version"] {
            #expect(names.filter { $0 == name }.count == 1, "one \(name)")
        }
        #expect(text.contains("Date: Mon, 23 Nov 2026 15:00:00 +0000\r\n"))
        #expect(text.contains("Message-ID: <outreach.0123456789abcdef.1.1.intro.0@example.com>\r\n"))
        #expect(text.contains("X-Outreach-Key: 0123456789abcdef:1:1:intro:0\r\n"), "the key leaves the machine with the installation id")
        #expect(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(text.contains("1 Main St, Springfield"))
        let url = try #require(built.unsubscribeTargets.first)
        let token = String(url.dropFirst("https://example.com/u/".count))
        #expect(!token.contains("ada"), "the token carries no address")
        let parsed = try #require(UnsubscribeToken.parse(token))
        #expect(parsed.reference == .lead(id: 1))
        #expect(parsed.isSigned(byOneOf: ["k"]))
        #expect(parsed.isSigned(byOneOf: ["old", "k"]), "either secret of a rotation")
        #expect(!parsed.isSigned(byOneOf: ["wrong"]))
        #expect(built.unsubscribeTargets[1] == "mailto:unsubscribe@example.com?subject=unsubscribe")
    }

    @Test("tokens: version 2 names the lead, version 1 the slug and address; damaged ones do not parse")
    func tokens() throws {
        let signer = UnsubscribeToken.Signer(secret: "k")
        let token = signer.token(leadID: 42)
        #expect(token.hasPrefix("2.42."))
        #expect(UnsubscribeToken.parse(token)?.isSigned(byOneOf: ["k"]) == true)
        #expect(UnsubscribeToken.parse("2.43." + token.split(separator: ".")[2])?.isSigned(byOneOf: ["k"]) == false, "another lead's id")
        let legacy = try #require(UnsubscribeToken.parse(signer.legacyToken(campaignSlug: "q4", email: "ada@example.org")))
        #expect(legacy.reference == .legacy(campaignSlug: "q4", email: "ada@example.org"))
        #expect(legacy.isSigned(byOneOf: ["k"]))
        for damaged in ["", "2.42", "2.042." + token.split(separator: ".")[2], "2.-1.x", "3.42." + token.split(separator: ".")[2],
                        String(token.dropLast(3)), "a.b.c.d", String(repeating: "A", count: 700)] {
            #expect(UnsubscribeToken.parse(damaged) == nil, "\(damaged.prefix(20))")
        }
    }

    @Test("CR/LF in a lead field never creates a header")
    func noInjection() throws {
        let (_, text) = try message(firstName: "Ada\r\nBcc: victim@example.net", lastName: "X\nX-Evil: 1",
                                    subject: "Hi {{first_name}}")
        let names = headers(text)
        #expect(!names.contains("Bcc"))
        #expect(!names.contains("X-Evil"))
    }

    @Test("non-ASCII and long subjects are RFC 2047 encoded-words folded under 78 characters")
    func encodedWords() throws {
        let long = String(repeating: "Zoë ünïcödé ", count: 25)
        let (built, text) = try message(firstName: "Zoë", subject: long + "{{first_name}}")
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        let subjectLines = lines.drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 3)
        #expect(subjectLines.allSatisfy { $0.utf8.count <= 78 })
        #expect(head.unicodeScalars.allSatisfy { $0.isASCII }, "headers are pure ASCII")
        #expect(head.contains("Subject: =?UTF-8?B?"))
        // Decoding the words gives the subject back.
        let words = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" =?") }
        let decoded = words.map { line -> String in
            let word = line.replacingOccurrences(of: "Subject: ", with: "").trimmingCharacters(in: .whitespaces)
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64))!, as: UTF8.self)
        }.joined()
        #expect(decoded == built.subject)
        #expect(text.contains("Content-Transfer-Encoding: quoted-printable"))
    }
}

