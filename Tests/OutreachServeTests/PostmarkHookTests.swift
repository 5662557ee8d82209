import Foundation
import OutreachCore
import Testing
@testable import OutreachServe

@Suite("Postmark")
struct PostmarkHookTests {
    let hook = PostmarkHook(username: "outreach", password: "s3cret:with:colons")
    let now = date("2024-01-01T00:00:00Z")

    func request(_ body: String, authorization: String? = "Basic " + Data("outreach:s3cret:with:colons".utf8).base64EncodedString()) -> HookRequest {
        var headers = ["content-type": "application/json"]
        headers["authorization"] = authorization
        return HookRequest(headers: headers, body: bytes(body))
    }

    @Test func hardBounceFromTheDocumentedExample() {
        let outcome = hook.verify(request(PostmarkPayloads.hardBounce), now: now)
        #expect(outcome == .events([FeedbackEvent(
            id: "postmark:4323372036854775807", kind: .bounce, bounce: .hard,
            email: "john@example.com", at: date("2019-11-05T16:33:54.9070259Z"))]))
    }

    @Test func spamComplaint() {
        let outcome = hook.verify(request(PostmarkPayloads.spamComplaint), now: now)
        #expect(outcome == .events([FeedbackEvent(
            id: "postmark:42", kind: .complaint, bounce: nil, email: "john@example.com", at: date("2019-11-05T16:33:54.9070259Z"))]))
    }

    @Test func subscriptionChangeIsAnUnsubscribe() {
        let outcome = hook.verify(request(PostmarkPayloads.subscriptionChange), now: now)
        #expect(outcome == .events([FeedbackEvent(
            id: "postmark:883953f4-6105-42a2-a16a-77a8eac79483:2020-02-01T10:53:34.416071Z", kind: .unsubscribe, bounce: nil,
            email: "bounced-address@wildbit.com", at: date("2020-02-01T10:53:34.416071Z"))]))
    }

    @Test func manualSuppressionWithoutMessageIDStillHasAStableID() {
        let first = hook.verify(request(PostmarkPayloads.manualSuppression), now: now)
        let retry = hook.verify(request(PostmarkPayloads.manualSuppression), now: now.addingTimeInterval(600))
        #expect(first.events?.first?.id == "postmark:ops@example.com:2020-02-01T10:53:34.416071Z")
        #expect(first == retry)
    }

    @Test func reactivationAndDeliveryAreIgnored() {
        #expect(hook.verify(request(PostmarkPayloads.reactivation), now: now) == .events([]))
        #expect(hook.verify(request(PostmarkPayloads.delivery), now: now) == .events([]))
        #expect(hook.verify(request(#"{"RecordType":"Open","Recipient":"a@b.c"}"#), now: now) == .events([]))
    }

    @Test(arguments: [
        ("HardBounce", FeedbackEvent.Kind.bounce, FeedbackEvent.Bounce?.some(.hard)),
        ("BadEmailAddress", .bounce, .hard),
        ("SoftBounce", .bounce, .soft),
        ("Transient", .bounce, .soft),
        ("DnsError", .bounce, .soft),
        ("SpamNotification", .bounce, .soft),
        ("ManuallyDeactivated", .bounce, .soft),
        ("Unsubscribe", .unsubscribe, nil),
    ])
    func bounceTypeMapping(type: String, kind: FeedbackEvent.Kind, bounce: FeedbackEvent.Bounce?) throws {
        let events = try #require(hook.verify(request(PostmarkPayloads.bounce(type: type)), now: now).events)
        #expect(events.count == 1)
        #expect(events.first?.kind == kind)
        #expect(events.first?.bounce == bounce)
        #expect(events.first?.at == date("2014-01-15T21:09:19.6421112Z"))
    }

    @Test(arguments: ["AutoResponder", "AddressChange", "ChallengeVerification", "VirusNotification", "DMARCPolicy", "SomethingNew"])
    func ignoredBounceTypes(type: String) {
        #expect(hook.verify(request(PostmarkPayloads.bounce(type: type)), now: now) == .events([]))
    }

    @Test func addressWithoutAtIsIgnored() {
        #expect(hook.verify(request(PostmarkPayloads.bounce(type: "HardBounce", email: "postmaster")), now: now) == .events([]))
    }

    @Test func missingCredentialsAre401() {
        #expect(hook.verify(request(PostmarkPayloads.hardBounce, authorization: nil), now: now).status == 401)
    }

    @Test func wrongCredentialsAre401AndYieldNoEvents() {
        for credentials in ["outreach:wrong", "other:s3cret:with:colons", "outreach:s3cret:with:colon", ""] {
            let header = "Basic " + Data(credentials.utf8).base64EncodedString()
            let outcome = hook.verify(request(PostmarkPayloads.hardBounce, authorization: header), now: now)
            #expect(outcome.status == 401)
            #expect(outcome.events == nil)
        }
    }

    @Test func otherSchemesAndGarbageAre401() {
        for header in ["Bearer abc", "Basic !!!notbase64", "Basic", "b2sK"] {
            #expect(hook.verify(request(PostmarkPayloads.hardBounce, authorization: header), now: now).status == 401)
        }
    }

    @Test func schemeIsCaseInsensitive() {
        let header = "basic " + Data("outreach:s3cret:with:colons".utf8).base64EncodedString()
        #expect(hook.verify(request(PostmarkPayloads.hardBounce, authorization: header), now: now).events?.count == 1)
    }

    @Test func rejectionReasonsCarryNoAddressOrSecret() {
        let outcome = hook.verify(request(#"{"RecordType":"Bounce","Type":"HardBounce","Email":"john@example.com"}"#), now: now)
        guard case .rejected(400, let reason) = outcome else {
            Issue.record("expected 400, got \(outcome)")
            return
        }
        #expect(!reason.contains("@"))
        #expect(!reason.contains("s3cret"))
    }
}
