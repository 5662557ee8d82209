import Foundation
import OutreachCore
import Testing
@testable import OutreachServe

/// Two P-256 key pairs made by the openssl CLI, shared by the SendGrid tests.
final class SendGridKeys: Sendable {
    static let shared = Result { try SendGridKeys() }

    let openssl: OpenSSLTool
    let publicKeyBase64: String
    let otherPublicKeyBase64: String

    private init() throws {
        openssl = try OpenSSLTool()
        for name in ["key", "other"] {
            try openssl.run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(name).pem"])
            try openssl.run(["ec", "-in", "\(name).pem", "-pubout", "-outform", "DER", "-out", "\(name).pub.der"])
        }
        publicKeyBase64 = Data(try openssl.read("key.pub.der")).base64EncodedString()
        otherPublicKeyBase64 = Data(try openssl.read("other.pub.der")).base64EncodedString()
    }

    /// The request SendGrid would send: `openssl dgst -sha256 -sign` over timestamp + body.
    func request(body: String, timestamp: String, key: String = "key.pem") throws -> HookRequest {
        let signature = try openssl.sign(bytes(timestamp) + bytes(body), keyFile: key, digest: "sha256")
        return HookRequest(headers: [
            "content-type": "application/json",
            "x-twilio-email-event-webhook-signature": Data(signature).base64EncodedString(),
            "x-twilio-email-event-webhook-timestamp": timestamp,
        ], body: bytes(body))
    }
}

@Suite("SendGrid")
struct SendGridHookTests {
    let keys: SendGridKeys
    let hook: SendGridHook
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    init() throws {
        keys = try SendGridKeys.shared.get()
        hook = try SendGridHook(publicKeyBase64DER: keys.publicKeyBase64, maxAge: 600)
    }

    @Test func documentedBatchYieldsBounceComplaintAndUnsubscribes() throws {
        let outcome = hook.verify(try keys.request(body: SendGridPayloads.batch, timestamp: "1700000000"), now: now)
        #expect(outcome == .events([
            FeedbackEvent(id: "sendgrid:6g4ZI7SA-xmRDv57GoPIPw==", kind: .bounce, bounce: .hard, email: "bounced@test.com", at: Date(timeIntervalSince1970: 1513299569)),
            FeedbackEvent(id: "sendgrid:6g4ZI7SA-xmRDv57GoPIPx==", kind: .bounce, bounce: .soft, email: "blocked@test.com", at: Date(timeIntervalSince1970: 1513299570)),
            FeedbackEvent(id: "sendgrid:37nvH5QBz858KGVYCM4uOA==", kind: .complaint, bounce: nil, email: "complainer@test.com", at: Date(timeIntervalSince1970: 1513299571)),
            FeedbackEvent(id: "sendgrid:zz_BjPgU_5pS-J8vlfB1sg==", kind: .unsubscribe, bounce: nil, email: "leaver@test.com", at: Date(timeIntervalSince1970: 1513299572)),
            FeedbackEvent(id: "sendgrid:ahSCB7xYcXFb-hEaawsPRw==", kind: .unsubscribe, bounce: nil, email: "groupleaver@test.com", at: Date(timeIntervalSince1970: 1513299573)),
        ]))
    }

    @Test func tamperedBodyIs401() throws {
        var request = try keys.request(body: SendGridPayloads.batch, timestamp: "1700000000")
        request.body = bytes(SendGridPayloads.batch.replacingOccurrences(of: "leaver@test.com", with: "victim@test.com"))
        let outcome = hook.verify(request, now: now)
        #expect(outcome.status == 401)
        #expect(outcome.events == nil)
    }

    @Test func tamperedTimestampIs401() throws {
        var request = try keys.request(body: SendGridPayloads.batch, timestamp: "1700000000")
        request.headers["x-twilio-email-event-webhook-timestamp"] = "1700000001"
        #expect(hook.verify(request, now: now).status == 401)
    }

    @Test func signatureByAnotherKeyIs401() throws {
        let request = try keys.request(body: SendGridPayloads.batch, timestamp: "1700000000", key: "other.pem")
        #expect(hook.verify(request, now: now).status == 401)
        let otherHook = try SendGridHook(publicKeyBase64DER: keys.otherPublicKeyBase64, maxAge: 600)
        #expect(otherHook.verify(request, now: now).events?.count == 5)
    }

    @Test func missingOrGarbledHeadersAre401() throws {
        let signed = try keys.request(body: "[]", timestamp: "1700000000")
        for header in ["x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp"] {
            var request = signed
            request.headers[header] = nil
            #expect(hook.verify(request, now: now).status == 401)
        }
        var garbled = signed
        garbled.headers["x-twilio-email-event-webhook-signature"] = "bm90IGEgc2lnbmF0dXJl"
        #expect(hook.verify(garbled, now: now).status == 401)
        #expect(hook.verify(signed, now: now) == .events([]))
    }

    @Test func staleAndFutureTimestampsAre403() throws {
        let stale = try keys.request(body: SendGridPayloads.batch, timestamp: "1699999399")
        #expect(hook.verify(stale, now: now).status == 403)
        let future = try keys.request(body: SendGridPayloads.batch, timestamp: "1700000601")
        #expect(hook.verify(future, now: now).status == 403)
        #expect(hook.verify(stale, now: now.addingTimeInterval(-1)).events?.count == 5)
    }

    @Test func signedButMalformedBodiesAre400() throws {
        for body in [#"{"event": "bounce"}"#, "[1, 2]", #"[{"event": "bounce", "email": "a@b.c", "timestamp": 1}]"#, "[{]"] {
            #expect(hook.verify(try keys.request(body: body, timestamp: "1700000000"), now: now).status == 400)
        }
    }

    @Test func moreThanAThousandEventsIs400() throws {
        let item = #"{"email": "a@b.c", "timestamp": 1, "event": "open", "sg_event_id": "x"}"#
        let body = "[" + Array(repeating: item, count: 1001).joined(separator: ",") + "]"
        #expect(hook.verify(try keys.request(body: body, timestamp: "1700000000"), now: now).status == 400)
    }

    @Test func initRejectsKeysThatAreNotP256SPKI() throws {
        #expect(throws: HookConfigurationError.self) { try SendGridHook(publicKeyBase64DER: "", maxAge: 60) }
        #expect(throws: HookConfigurationError.self) { try SendGridHook(publicKeyBase64DER: "%%%", maxAge: 60) }
        #expect(throws: HookConfigurationError.self) { try SendGridHook(publicKeyBase64DER: "aGVsbG8=", maxAge: 60) }
        try keys.openssl.run(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384.pem"])
        let p384 = try keys.openssl.run(["ec", "-in", "p384.pem", "-pubout", "-outform", "DER"])
        #expect(throws: HookConfigurationError.self) {
            try SendGridHook(publicKeyBase64DER: Data(p384).base64EncodedString(), maxAge: 60)
        }
        // PEM armour around the same key is accepted.
        let pem = "-----BEGIN PUBLIC KEY-----\n\(keys.publicKeyBase64)\n-----END PUBLIC KEY-----\n"
        _ = try SendGridHook(publicKeyBase64DER: pem, maxAge: 60)
    }
}
