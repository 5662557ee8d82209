import Foundation
import Testing
@testable import OutreachServe

/// Hostile and broken bodies: every verifier must answer (400 mostly), never crash.
@Suite("Fuzz")
struct FuzzTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    let postmark = PostmarkHook(username: "u", password: "p")
    let postmarkAuth = ["authorization": "Basic " + Data("u:p".utf8).base64EncodedString()]

    /// Bodies that are not JSON, or JSON of the wrong shape.
    static let hostile: [String] = [
        "", " ", "null", "true", "0", "-1e999", "\"string\"", "[]", "{}", "[{}]", "[[]]", "{\"a\":",
        "{\"RecordType\": 5}", "{\"RecordType\": [\"Bounce\"]}", "{\"RecordType\": \"Bounce\", \"Type\": {}}",
        "{\"RecordType\": \"Bounce\", \"Type\": \"HardBounce\", \"ID\": [], \"Email\": 1, \"BouncedAt\": null}",
        "{\"RecordType\": \"Bounce\", \"Type\": \"HardBounce\", \"ID\": 1.5e300, \"Email\": \"a@b.c\", \"BouncedAt\": \"x\"}",
        "{\"RecordType\": \"SubscriptionChange\", \"SuppressSending\": \"yes\"}",
        "{\"signature\": [], \"event-data\": []}", "{\"signature\": {\"timestamp\": {}, \"token\": [], \"signature\": null}}",
        "{\"Type\": [\"Notification\"]}", "{\"Type\": \"Notification\", \"Message\": {}, \"MessageId\": 1}",
        "\u{0}\u{1}\u{2}", "\u{FEFF}{}", String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 20_000),
        "{\"a\": \"\\ud800\"}", "[1,2,3,]", "{\"a\" 1}", "NaN", "{\"RecordType\": \"Bounce\"}" + String(repeating: " ", count: 70_000),
    ]

    @Test func hostileBodiesNeverCrash() throws {
        let mailgun = MailgunHook(signingKey: "k", maxAge: 300, replayGuard: ReplayGuard())
        let sns = SNSHook(topicArns: ["arn:aws:sns:eu-west-1:1:t"], certificateDirectory: "/nonexistent", fetcher: nil)
        let sendgrid = try SendGridHook(publicKeyBase64DER: try SendGridKeys.shared.get().publicKeyBase64, maxAge: 300)
        for body in Self.hostile {
            let request = HookRequest(headers: postmarkAuth, body: bytes(body))
            #expect(postmark.verify(request, now: now).status == 400, "postmark: \(body.prefix(40))")
            #expect([400, 401].contains(mailgun.verify(request, now: now).status), "mailgun: \(body.prefix(40))")
            #expect([400, 401].contains(sns.verify(request, now: now).status), "sns: \(body.prefix(40))")
            #expect(sendgrid.verify(request, now: now).status == 401)
        }
    }

    @Test func truncatedDocumentedPayloadsAre400() {
        for payload in [PostmarkPayloads.hardBounce, PostmarkPayloads.spamComplaint, PostmarkPayloads.subscriptionChange] {
            let all = bytes(payload)
            for length in 0..<all.count - 1 where all[length] != 0x20 && all[length] != 0x0A {
                let outcome = postmark.verify(HookRequest(headers: postmarkAuth, body: Array(all[..<length])), now: now)
                #expect(outcome.status == 400, "length \(length)")
            }
        }
    }

    @Test func truncatedAndMangledEventPayloadsNeverCrashTheParsers() {
        for payload in [SendGridPayloads.batch, MailgunPayloads.failedPermanent, SESMessages.permanentBounce, SESMessages.complaint] {
            let all = bytes(payload)
            for length in stride(from: 0, to: all.count, by: 7) {
                let prefix = Array(all[..<length])
                if let items = JSONValue.parse(prefix)?.array { _ = SendGridPayload.outcome(items) }
                _ = MailgunPayload.outcome(JSONValue.parse(prefix))
                _ = SESNotification.outcome(message: String(decoding: prefix, as: UTF8.self), fallbackDate: now)
            }
            // Swap every string value for a number and every number for an array.
            let mangled = payload
                .replacingOccurrences(of: #""[^"]*""#, with: "17", options: .regularExpression)
                .replacingOccurrences(of: #"(?<![\w.])\d+(\.\d+)?"#, with: "[]", options: .regularExpression)
            if let items = JSONValue.parse(bytes(mangled))?.array { _ = SendGridPayload.outcome(items) }
            _ = MailgunPayload.outcome(JSONValue.parse(bytes(mangled)))
            _ = SESNotification.outcome(message: mangled, fallbackDate: now)
        }
    }

    @Test func arraysWhereObjectsAreExpectedAre400() {
        #expect(SendGridPayload.outcome([.array([])]).status == 400)
        #expect(MailgunPayload.outcome(.array([])).status == 400)
        #expect(SESNotification.outcome(message: #"{"notificationType":"Bounce","bounce":[{"bounceType":"Permanent"}]}"#, fallbackDate: now).status == 400)
        #expect(SESNotification.outcome(message: #"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","feedbackId":"f","bouncedRecipients":[[]]}}"#, fallbackDate: now).status == 400)
    }

    @Test func oversizedBodiesAre400() {
        let body = [UInt8](repeating: 0x20, count: 64 * 1024 + 1)
        #expect(postmark.verify(HookRequest(headers: postmarkAuth, body: body), now: now).status == 400)
        let sns = SNSHook(topicArns: [], certificateDirectory: nil, fetcher: nil)
        #expect(sns.verify(HookRequest(headers: [:], body: body), now: now).status == 400)
    }
}
