import Foundation
import Testing
@testable import OutreachMail

@Suite struct ClassifierTests {
    @Test func deliveryStatusGroups() {
        let report = DeliveryStatusReport(parsing: """
            Reporting-MTA: dns; mx.example
            Arrival-Date: Thu, 29 Apr 2010 23:34:45 +0900

            Final-Recipient: RFC822; <One@Example.org>
            Original-Recipient: rfc822;one-alias@example.org
            Action: failed
            Status: 5.0.0 (permanent failure)
            Diagnostic-Code: smtp; 550 5.1.1 <one@example.org>... User unknown
            Final-Recipient: rfc822; two@example.org
            Action: delayed
            Status: 4.4.7

            Final-Recipient: rfc822; three@example.org
            Action: delivered
            Status: 2.0.0
            """)
        #expect(report.messageFields["Reporting-MTA"] == "dns; mx.example")
        #expect(report.recipients.map(\.address) == ["one@example.org", "two@example.org", "three@example.org"])
        #expect(report.recipients[0].status == "5.1.1")
        #expect(report.recipients[0].replyCode == "550")
        #expect(report.recipients[0].originalRecipient == "one-alias@example.org")
        #expect(report.recipients.map(\.action) == ["failed", "delayed", "delivered"])
    }

    static func dsn(action: String, status: String, diagnostic: String) -> Data {
        mailData("""
            From: Mail Delivery System <MAILER-DAEMON@mx.example>
            To: sender@outreach.example
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <bounce-1@mx.example>
            Date: Thu, 29 Apr 2010 23:34:45 +0900
            Auto-Submitted: auto-replied
            Content-Type: multipart/report; report-type=delivery-status; boundary="b"

            --b
            Content-Type: text/plain

            Delivery failed.
            --b
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            Final-Recipient: rfc822; rcpt@example.org
            Action: \(action)
            Status: \(status)
            Diagnostic-Code: smtp; \(diagnostic)

            --b
            Content-Type: text/rfc822-headers

            Message-ID: <outreach.inst.k1@outreach.example>
            X-Outreach-Key: inst:k1
            To: rcpt@example.org
            --b--
            """, crlf: true)
    }

    @Test func standardBounceAndDelivered() {
        let hard = MailClassifier.classify(Self.dsn(action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 User unknown"))
        #expect(hard.kind == .bounce)
        #expect(hard.evidence == "RFC 3464 delivery-status")
        #expect(hard.recipients == [FailedRecipient(address: "rcpt@example.org", status: "5.1.1", replyCode: "550",
                                                    diagnostic: "550 5.1.1 User unknown", hard: true, severityReason: "status 5.1.1")])
        #expect(hard.originalMessageID == "outreach.inst.k1@outreach.example")
        #expect(hard.outreachKey == "inst:k1")
        #expect(hard.messageID == "bounce-1@mx.example")
        #expect(hard.from == "mailer-daemon@mx.example")
        let full = MailClassifier.classify(Self.dsn(action: "failed", status: "5.2.2", diagnostic: "552 5.2.2 Mailbox full"))
        #expect(full.kind == .bounce && full.recipients.first?.hard == false)
        let policy = MailClassifier.classify(Self.dsn(action: "failed", status: "5.7.1", diagnostic: "550 5.7.1 Message rejected as spam"))
        #expect(policy.recipients.first?.hard == false)
        let delayed = MailClassifier.classify(Self.dsn(action: "delayed", status: "4.4.7", diagnostic: "450 timeout"))
        #expect(delayed.kind == .bounce && delayed.recipients.first?.hard == false)
        let delivered = MailClassifier.classify(Self.dsn(action: "delivered", status: "2.0.0", diagnostic: "250 ok"))
        #expect(delivered.kind == .delivered)
    }

    @Test func eximBounceWithAutoSubmittedIsABounce() {
        let result = MailClassifier.classify(mailData("""
            From: Mail Delivery System <Mailer-Daemon@mx.example>
            To: sender@outreach.example
            Subject: Mail delivery failed: returning message to sender
            Auto-Submitted: auto-replied
            X-Failed-Recipients: kijitora@example.jp

            This message was created automatically by mail delivery software.

            A message that you sent could not be delivered to one or more of its
            recipients. This is a permanent error. The following address(es) failed:

              kijitora@example.jp
                SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>:
                host mx.example.jp [192.0.2.1]: 550 5.1.1 <kijitora@example.jp>: User unknown

            ------ This is a copy of the message, including all the headers. ------

            Message-ID: <outreach.inst.k2@outreach.example>
            X-Outreach-Key: inst:k2
            To: kijitora@example.jp
            Subject: hello

            hello
            """))
        #expect(result.kind == .bounce)
        #expect(result.evidence.hasPrefix("heuristic:"))
        #expect(result.recipients.map(\.address) == ["kijitora@example.jp"])
        #expect(result.recipients.first?.status == "5.1.1")
        #expect(result.recipients.first?.hard == true)
        #expect(result.originalMessageID == "outreach.inst.k2@outreach.example")
        #expect(result.outreachKey == "inst:k2")
    }

    @Test func qmailFailureNotice() {
        let result = MailClassifier.classify(mailData("""
            From: MAILER-DAEMON@mx.example
            Subject: failure notice

            Hi. This is the qmail-send program at mx.example.
            I'm afraid I wasn't able to deliver your message to the following addresses.
            This is a permanent error; I've given up. Sorry it didn't work out.

            <full@example.net>:
            192.0.2.9 does not like recipient.
            Remote host said: 552 5.2.2 Mailbox quota exceeded
            Giving up on 192.0.2.9.

            --- Below this line is a copy of the message.

            Message-ID: <orig@outreach.example>
            """))
        #expect(result.kind == .bounce)
        #expect(result.evidence == "heuristic: qmail failure notice")
        #expect(result.recipients.first?.address == "full@example.net")
        #expect(result.recipients.first?.hard == false)
        #expect(result.originalMessageID == "orig@outreach.example")
    }

    @Test func feedbackReport() {
        let result = MailClassifier.classify(mailData("""
            From: feedback@isp.example
            Subject: Abuse report
            Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

            --arf
            Content-Type: text/plain

            This is an email abuse report.
            --arf
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: SomeGenerator/1.0
            Version: 1
            Original-Mail-From: <sender@outreach.example>
            Original-Rcpt-To: <Complainer@isp.example>

            --arf
            Content-Type: message/rfc822

            Message-ID: <outreach.inst.k3@outreach.example>
            X-Outreach-Key: inst:k3
            To: complainer@isp.example
            Subject: offer

            body
            --arf--
            """))
        #expect(result.kind == .complaint)
        #expect(result.feedbackType == "abuse")
        #expect(result.recipients.map(\.address) == ["complainer@isp.example"])
        #expect(result.recipients.allSatisfy { !$0.hard })
        #expect(result.originalMessageID == "outreach.inst.k3@outreach.example")
        #expect(result.outreachKey == "inst:k3")
        #expect(result.originalRecipient == "complainer@isp.example")
    }

    @Test(arguments: [
        ("Auto-Submitted: auto-replied", "Re: hello"),
        ("X-Autoreply: yes", "Re: hello"),
        ("Precedence: auto_reply", "Re: hello"),
        ("X-Mailer: x", "Out of Office: hello"),
        ("X-Mailer: x", "Automatic reply: hello"),
        ("X-Mailer: x", "Abwesenheitsnotiz: hello"),
        ("X-Mailer: x", "=?utf-8?Q?R=C3=A9ponse_automatique?=: hello"),
    ])
    func autoReplies(header: String, subject: String) {
        let result = MailClassifier.classify(mailData("From: person@example.org\n\(header)\nSubject: \(subject)\n\nI am away.\n"))
        #expect(result.kind == .autoReply)
    }

    @Test func humanReply() {
        let result = MailClassifier.classify(mailData("""
            From: "Person" <Person@Example.org>
            Subject: Re: our offer
            Auto-Submitted: no
            In-Reply-To: <outreach.inst.k4@outreach.example>
            References: <a@x.example> <outreach.inst.k4@outreach.example>

            Sounds good, call me.
            """))
        #expect(result.kind == .message)
        #expect(result.from == "person@example.org")
        #expect(result.inReplyTo == ["outreach.inst.k4@outreach.example"])
        #expect(result.references == ["a@x.example", "outreach.inst.k4@outreach.example"])
        #expect(result.recipients.isEmpty)
    }

    @Test func heuristicsTableIsExported() {
        let table = MailClassifier.heuristics
        #expect(!table.isEmpty)
        #expect(Set(table.map(\.name)).count == table.count)
        #expect(table.allSatisfy { !$0.description.isEmpty })
    }
}

/// The README's table of heuristics is the code's, in the code's order (one table, SPEC §11).
@Test("the README lists every heuristic, in order")
func readmeListsTheHeuristics() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")
    let lines = try String(contentsOf: readme, encoding: .utf8).lowercased().split(separator: "\n")
    for (index, heuristic) in Heuristic.table.enumerated() {
        let row = "| \(index + 1) | \(heuristic.name.lowercased()) |"
        #expect(lines.contains { $0.hasPrefix(row) }, "README row: \(row)")
    }
    #expect(!Heuristic.markdownTable.isEmpty)
}
