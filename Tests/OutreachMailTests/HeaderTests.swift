import Foundation
import Testing
@testable import OutreachMail

/// Builds message bytes from text, optionally with CRLF line endings.
func mailData(_ text: String, crlf: Bool = false) -> Data {
    Data((crlf ? text.replacingOccurrences(of: "\n", with: "\r\n") : text).utf8)
}

@Suite struct HeaderTests {
    @Test(arguments: [false, true])
    func unfoldsAndIgnoresCase(crlf: Bool) {
        let message = MimeMessage(parsing: mailData("""
            SUBJECT: a folded
            \tsubject line
            x-outreach-key: inst:key1
            References: <a@x>
              <b@y>

            body
            """, crlf: crlf))
        #expect(message.headers["Subject"] == "a folded subject line")
        #expect(message.headers["X-Outreach-Key"] == "inst:key1")
        #expect(MessageIDs.parse(message.headers["references"]) == ["a@x", "b@y"])
        #expect(message.text.hasPrefix("body"))
    }

    @Test func encodedWords() {
        #expect(EncodedWords.decode("=?UTF-8?B?44Gr44KD44KT44GT?=") == "にゃんこ")
        #expect(EncodedWords.decode("=?iso-8859-1?Q?R=E9ponse_automatique?=") == "Réponse automatique")
        #expect(EncodedWords.decode("=?windows-1252?Q?=80_price?=") == "€ price")
        #expect(EncodedWords.decode("=?iso-8859-15?Q?Delivery_Status_Notification_=28Failure=29?=") == "Delivery Status Notification (Failure)")
        // Adjacent words are joined even when a UTF-8 character is split between them.
        #expect(EncodedWords.decode("=?utf-8?B?QW5kcsOp?= =?utf-8?B?IEJyw6Fz?=") == "André Brás")
        #expect(EncodedWords.decode("=?utf-8?B?w6k=?=\n =?utf-8?B?w6k=?=") == "éé")
        #expect(EncodedWords.decode("Re: =?utf-8?Q?caf=C3=A9?= ok") == "Re: café ok")
        // Malformed words stay as they are; nothing traps.
        #expect(EncodedWords.decode("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=")
        #expect(EncodedWords.decode("=?utf-8?B?") == "=?utf-8?B?")
        #expect(EncodedWords.decode("=?unknown-charset?Q?abc?=") == "abc")
    }

    @Test func contentTypeParameters() {
        let quoted = ContentType(parsing: #"Multipart/Report; report-type="delivery-status"; boundary="a;b \"c\"""#)
        #expect(quoted.mimeType == "multipart/report")
        #expect(quoted["report-type"] == "delivery-status")
        #expect(quoted["boundary"] == #"a;b "c""#)
        let continued = ContentType(parsing: "application/x-stuff; title*0*=us-ascii'en'This%20is; title*1=\" fun\"; name*=UTF-8''caf%C3%A9.txt")
        #expect(continued["title"] == "This is fun")
        #expect(continued["name"] == "café.txt")
        #expect(ContentType(parsing: nil).mimeType == "text/plain")
        #expect(ContentType(parsing: "garbage").mimeType == "text/plain")
        #expect(ContentType(parsing: "text/plain; (comment) charset=utf-8").parameters["charset"] == "utf-8")
    }

    @Test func addressesAndDates() {
        #expect(MailAddress.first(in: #""Neko, Nyaan" <Kijitora@Example.ORG>"#) == "kijitora@example.org")
        #expect(MailAddress.first(in: "=?utf-8?B?QW5kcsOp?= <dummy@example.com>") == "dummy@example.com")
        #expect(MailAddress.all(in: "rfc822; <a@b.example>, c@d.example.") == ["a@b.example", "c@d.example"])
        let date = MailDate.parse("Fri, 01 Oct 2010 19:15:23 +0900 (JST)")
        #expect(date == Date(timeIntervalSince1970: 1_285_928_123))
        #expect(MailDate.parse("24 Apr 2013 00:00:00 +0900") != nil)
        #expect(MailDate.parse("Thu, 29 Apr 99 23:34:45 EST") != nil)
        #expect(MailDate.parse("not a date") == nil)
        #expect(MailDate.parse("99 Foo 99999999999999999999 99:99") == nil)
    }

    @Test func statusCodes() {
        #expect(StatusCode.find(in: "550 5.1.1 <a@b>... User unknown") == "5.1.1")
        #expect(StatusCode.find(in: "host 192.0.2.153 said (#5.5.0)") == "5.5.0")
        #expect(StatusCode.find(in: "Exim 4.72 from 192.0.2.4 port 25") == nil)
        #expect(StatusCode.find(in: "550 5.1.10 RESOLVER.ADR") == "5.1.10")
        #expect(StatusCode.replyCode(in: "550-5.1.1 The email account") == "550")
        #expect(SMTPCommand.find(in: "said: 550 User unknown (in reply to RCPT TO command)") == .rcpt)
        #expect(SMTPCommand.find(in: "SMTP error from remote mail server after end of data: 550 no") == .data)
        #expect(SMTPCommand.find(in: ">>> DATA\n<<< 550 5.7.1 spam") == .data)
    }

    @Test func severity() {
        #expect(BounceSeverity.isHard(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 <a@b.example>: User unknown"))
        #expect(!BounceSeverity.isHard(status: "5.2.2", replyCode: "552", diagnostic: "552 5.2.2 Mailbox full"))
        #expect(!BounceSeverity.isHard(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 over quota"))
        #expect(!BounceSeverity.isHard(status: "4.1.1", replyCode: "450", diagnostic: "450 4.1.1 User unknown"))
        #expect(!BounceSeverity.isHard(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 blocked, user unknown"))
        #expect(!BounceSeverity.isHard(status: "", replyCode: "550", diagnostic: "550 User unknown (in reply to end of DATA command)"))
        #expect(BounceSeverity.isHard(status: "", replyCode: "550", diagnostic: "550 User unknown (in reply to RCPT TO command)"))
        #expect(!BounceSeverity.isHard(status: "", replyCode: "", diagnostic: "The recipient name is not recognized"))
        #expect(BounceSeverity.isHard(status: "5.4.4", replyCode: "", diagnostic: "Host or domain name not found. Name service error for name=x.example type=A: Host not found"))
        #expect(!BounceSeverity.isHard(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 no such user", action: "delayed"))
        // Words inside addresses and URL anchors are not evidence.
        #expect(BounceSeverity.isHard(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 <spam@b.example> unknown", context: "see http://x.example/#spam"))
    }
}
