import Foundation
import OutreachCore
import Testing
@testable import OutreachServe

/// SNS with the signing certificate in an operator-managed folder.
@Suite("SNS")
struct SNSHookTests {
    let signer: SNSSigner
    let hook: SNSHook
    let now = date("2024-05-02T01:00:00Z")

    init() throws {
        signer = try SNSSigner.shared.get()
        hook = SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: signer.certificateDirectory, fetcher: nil)
    }

    func verify(_ fields: SNSSigner.Fields, with hook: SNSHook? = nil, at now: Date? = nil) throws -> HookOutcome {
        (hook ?? self.hook).verify(try SNSSigner.request(try signer.document(fields)), now: now ?? self.now)
    }

    func notification(_ message: String, version: String = "1") -> SNSSigner.Fields {
        var fields = SNSSigner.Fields()
        fields.message = message
        fields.signatureVersion = version
        return fields
    }

    @Test(arguments: ["1", "2"])
    func permanentBounceOneEventPerRecipient(version: String) throws {
        let outcome = try verify(notification(SESMessages.permanentBounce, version: version))
        let at = date("2016-01-27T14:59:38.237Z")
        #expect(outcome == .events([
            FeedbackEvent(id: "ses:00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000:jane@example.com", kind: .bounce, bounce: .hard, email: "jane@example.com", at: at),
            FeedbackEvent(id: "ses:00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000:richard@example.com", kind: .bounce, bounce: .hard, email: "richard@example.com", at: at),
        ]))
    }

    @Test func complaintAndTransientEventPublishingBounce() throws {
        let complaint = try verify(notification(SESMessages.complaint, version: "2"))
        #expect(complaint == .events([FeedbackEvent(
            id: "ses:000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000:richard@example.com",
            kind: .complaint, bounce: nil, email: "richard@example.com", at: date("2016-01-27T14:59:38.237Z"))]))
        let transient = try verify(notification(SESMessages.transientBounceEvent))
        #expect(transient.events?.map(\.bounce) == [.soft])
        #expect(transient.events?.first?.email == "full@example.com")
    }

    @Test func deliveryAndTheTopicValidationMessageAreIgnored() throws {
        #expect(try verify(notification(SESMessages.delivery)) == .events([]))
        #expect(try verify(notification(SESMessages.topicValidation)) == .events([]))
    }

    @Test func subjectIsSignedWhenPresent() throws {
        var fields = notification(SESMessages.complaint)
        fields.subject = "Amazon SES Email Event Notification"
        var document = try signer.document(fields)
        #expect(hook.verify(try SNSSigner.request(document), now: now).events?.count == 1)
        document["Subject"] = nil
        #expect(hook.verify(try SNSSigner.request(document), now: now).status == 401)
    }

    @Test func tamperedMessageIsRejected() throws {
        var document = try signer.document(notification(SESMessages.permanentBounce))
        document["Message"] = SESMessages.permanentBounce.replacingOccurrences(of: "jane@example.com", with: "ceo@example.com")
        let outcome = hook.verify(try SNSSigner.request(document), now: now)
        #expect(outcome.status == 401)
        #expect(outcome.events == nil)
    }

    @Test func signatureVersionMustMatchTheDigest() throws {
        var fields = notification(SESMessages.complaint, version: "2")
        let sha1Signed = try signer.document(fields, digest: "sha1")
        #expect(hook.verify(try SNSSigner.request(sha1Signed), now: now).status == 401)
        fields.signatureVersion = "3"
        #expect(try verify(fields).status == 401)
    }

    @Test func subscriptionConfirmationVerifies() throws {
        var fields = SNSSigner.Fields()
        fields.type = "SubscriptionConfirmation"
        fields.message = "You have chosen to subscribe to the topic \(SNSSigner.topic).\nTo confirm the subscription, visit the SubscribeURL included in this message."
        fields.token = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"
        fields.subscribeURL = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=\(SNSSigner.topic)&Token=\(fields.token ?? "")"
        #expect(try verify(fields) == .subscriptionConfirmation(subscribeURL: fields.subscribeURL ?? "", topicArn: SNSSigner.topic))

        var tampered = try signer.document(fields)
        tampered["Token"] = "0000"
        #expect(hook.verify(try SNSSigner.request(tampered), now: now).status == 401)

        fields.subscribeURL = "https://attacker.example.com/?Action=ConfirmSubscription"
        #expect(try verify(fields).status == 403)

        fields.type = "UnsubscribeConfirmation"
        fields.subscribeURL = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        #expect(try verify(fields) == .events([]))
    }

    @Test func wrongTopicIs403() throws {
        var fields = notification(SESMessages.permanentBounce)
        fields.topicArn = "arn:aws:sns:eu-west-1:999999999999:someone-else"
        let outcome = try verify(fields)
        #expect(outcome.status == 403)
        #expect(outcome.events == nil)
    }

    @Test(arguments: [
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.example/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com/../SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com/certs/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem?x=1",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.crt",
        "https://s3.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
    ])
    func nonAmazonCertificateURLIs403WithoutFetching(url: String) throws {
        let fetcher = StubFetcher(.success(Array((try? signer.openssl.read("\(SNSSigner.certificateName).pem")) ?? [])))
        let fetching = SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: nil, fetcher: fetcher, trustedCAFile: signer.certificateDirectory + "/\(SNSSigner.certificateName).pem")
        var fields = notification(SESMessages.permanentBounce)
        fields.signingCertURL = url
        #expect(try verify(fields, with: fetching).status == 403)
        #expect(try verify(fields).status == 403)
        #expect(fetcher.callCount == 0)
    }

    @Test func futureTimestampIs403ButOldOnesPass() throws {
        var fields = notification(SESMessages.complaint)
        fields.timestamp = "2024-05-02T02:00:01Z"
        #expect(try verify(fields).status == 403)
        fields.timestamp = "2024-05-02T01:59:00Z"
        #expect(try verify(fields).events?.count == 1)
        fields.timestamp = "2024-04-28T01:00:00Z"
        #expect(try verify(fields).events?.count == 1)
        fields.timestamp = "yesterday"
        #expect(try verify(fields).status == 400)
    }

    @Test func missingCertificateFileIs403() throws {
        var fields = notification(SESMessages.complaint)
        fields.signingCertURL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-ffffffffffffffff.pem"
        #expect(try verify(fields).status == 403)
        let elsewhere = SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: "/nonexistent-\(UUID().uuidString)", fetcher: nil)
        #expect(try verify(notification(SESMessages.complaint), with: elsewhere).status == 403)
    }

    @Test func noCertificateSourceIs500() throws {
        let unconfigured = SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: nil, fetcher: nil)
        #expect(try verify(notification(SESMessages.complaint), with: unconfigured).status == 500)
    }

    @Test func malformedEnvelopesAre400Or401() throws {
        #expect(hook.verify(HookRequest(headers: [:], body: bytes("not json")), now: now).status == 400)
        #expect(hook.verify(HookRequest(headers: [:], body: bytes("[]")), now: now).status == 400)
        #expect(hook.verify(HookRequest(headers: [:], body: bytes(#"{"Type": "Notification"}"#)), now: now).status == 400)
        #expect(hook.verify(HookRequest(headers: [:], body: bytes(#"{"Type": "Surprise"}"#)), now: now).status == 400)
        var document = try signer.document(notification(SESMessages.complaint))
        document["Signature"] = nil
        #expect(hook.verify(try SNSSigner.request(document), now: now).status == 401)
        document["Signature"] = "***"
        #expect(hook.verify(try SNSSigner.request(document), now: now).status == 401)
    }

    @Test func signedButMalformedSESMessagesAre400() throws {
        let recipient = #"{"emailAddress":"x@example.com"}"#
        let tooMany = #"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","feedbackId":"f","bouncedRecipients":["#
            + Array(repeating: recipient, count: 1001).joined(separator: ",") + "]}}"
        for message in [
            tooMany,
            #"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","feedbackId":"f","bouncedRecipients":{"emailAddress":"x@example.com"}}}"#,
            #"{"notificationType":"Bounce","bounce":[]}"#,
            #"{"notificationType":"Complaint","complaint":{"feedbackId":"f","complainedRecipients":[{"emailAddress":5}]}}"#,
            #"{"notificationType":"Complaint","complaint":{"complainedRecipients":[]}}"#,
        ] {
            #expect(try verify(notification(message)).status == 400)
        }
    }
}
