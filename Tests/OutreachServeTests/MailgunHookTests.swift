import Foundation
import OutreachCore
import Testing
@testable import OutreachServe

@Suite("Mailgun")
struct MailgunHookTests {
    static let key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
    let openssl: OpenSSLTool
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    init() throws {
        openssl = try OpenSSLTool()
    }

    /// A webhook body with `eventData`, signed (by the openssl CLI) with `key`.
    func body(_ eventData: String, timestamp: Int, token: String, key: String = MailgunHookTests.key) throws -> [UInt8] {
        let signature = try openssl.hmacSHA256Hex("\(timestamp)\(token)", key: key)
        return bytes("""
        {"signature": {"timestamp": "\(timestamp)", "token": "\(token)", "signature": "\(signature)"}, "event-data": \(eventData)}
        """)
    }

    func hook(_ replayGuard: ReplayGuard = ReplayGuard(), maxAge: TimeInterval = 300) -> MailgunHook {
        MailgunHook(signingKey: Self.key, maxAge: maxAge, replayGuard: replayGuard)
    }

    func verify(_ body: [UInt8], with hook: MailgunHook? = nil, at now: Date? = nil) -> HookOutcome {
        (hook ?? self.hook()).verify(HookRequest(headers: ["content-type": "application/json"], body: body), now: now ?? self.now)
    }

    @Test func permanentFailureIsAHardBounce() throws {
        let outcome = verify(try body(MailgunPayloads.failedPermanent, timestamp: 1_700_000_000, token: "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"))
        #expect(outcome == .events([FeedbackEvent(
            id: "mailgun:G9Bn5sl1TC6nu79C8C0bwg", kind: .bounce, bounce: .hard,
            email: "alice@example.com", at: Date(timeIntervalSince1970: 1521233195.375624))]))
    }

    @Test func temporaryFailureComplaintAndUnsubscribe() throws {
        let soft = verify(try body(MailgunPayloads.failedTemporary, timestamp: 1_700_000_000, token: "t1"))
        #expect(soft.events?.first?.bounce == .soft)
        #expect(soft.events?.first?.id == "mailgun:Fs7-5t81S2ug8UqsBmwpLw")
        let complaint = verify(try body(MailgunPayloads.complained, timestamp: 1_700_000_000, token: "t2"))
        #expect(complaint.events?.first?.kind == .complaint)
        #expect(complaint.events?.first?.email == "carol@example.net")
        let unsubscribe = verify(try body(MailgunPayloads.unsubscribed, timestamp: 1_700_000_000, token: "t3"))
        #expect(unsubscribe.events?.first?.kind == .unsubscribe)
        #expect(verify(try body(MailgunPayloads.delivered, timestamp: 1_700_000_000, token: "t4")) == .events([]))
    }

    @Test func forgedSignatureIs401() throws {
        var text = String(decoding: try body(MailgunPayloads.failedPermanent, timestamp: 1_700_000_000, token: "tok"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"tok\"", with: "\"tol\"")
        let outcome = verify(bytes(text))
        #expect(outcome.status == 401)
        #expect(outcome.events == nil)
    }

    @Test func wrongKeyIs401() throws {
        let outcome = verify(try body(MailgunPayloads.failedPermanent, timestamp: 1_700_000_000, token: "tok", key: "key-other"))
        #expect(outcome.status == 401)
    }

    @Test func missingOrMalformedSignatureIs401() {
        #expect(verify(bytes(#"{"event-data": \#(MailgunPayloads.complained)}"#)).status == 401)
        #expect(verify(bytes(#"{"signature": {"timestamp": "1700000000", "token": "x", "signature": "zz"}, "event-data": {}}"#)).status == 401)
        #expect(verify(bytes(#"{"signature": {"timestamp": 1700000000, "token": 5, "signature": "00"}, "event-data": {}}"#)).status == 401)
    }

    @Test func staleAndFutureTimestampsAre403() throws {
        let stale = verify(try body(MailgunPayloads.complained, timestamp: 1_700_000_000 - 301, token: "s"))
        #expect(stale.status == 403)
        let future = verify(try body(MailgunPayloads.complained, timestamp: 1_700_000_000 + 301, token: "f"))
        #expect(future.status == 403)
        let edge = verify(try body(MailgunPayloads.complained, timestamp: 1_700_000_000 - 300, token: "e"))
        #expect(edge.events?.count == 1)
    }

    @Test func exactRetryYieldsNoEventsAndAnotherBodyIs403() throws {
        let replayGuard = ReplayGuard()
        let hook = hook(replayGuard)
        let original = try body(MailgunPayloads.failedPermanent, timestamp: 1_700_000_000, token: "once")
        #expect(verify(original, with: hook).events?.count == 1)
        #expect(verify(original, with: hook, at: now.addingTimeInterval(60)) == .events([]))

        // Same signed timestamp and token, another event-data: the signature still holds.
        let swapped = try body(MailgunPayloads.complained, timestamp: 1_700_000_000, token: "once")
        let outcome = verify(swapped, with: hook, at: now.addingTimeInterval(61))
        #expect(outcome.status == 403)
        #expect(outcome.events == nil)
    }

    @Test func malformedEventDataIs400AndDoesNotConsumeTheToken() throws {
        let hook = hook()
        let broken = try body(#"{"event": "failed", "severity": "permanent", "id": "x"}"#, timestamp: 1_700_000_000, token: "tk")
        #expect(verify(broken, with: hook).status == 400)
        #expect(verify(broken, with: hook).status == 400)
        #expect(verify(try body("[1, 2]", timestamp: 1_700_000_000, token: "tk2"), with: hook).status == 400)
        #expect(verify(try body(#"{"event": "failed", "severity": "sometimes", "id": "x", "recipient": "a@b.c", "timestamp": 1}"#,
                                timestamp: 1_700_000_000, token: "tk3"), with: hook).status == 400)
    }
}
