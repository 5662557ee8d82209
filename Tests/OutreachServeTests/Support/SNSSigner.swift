import Foundation
import OutreachServe

/// Builds Amazon SNS messages signed the way SNS signs them, with keys and certificates
/// made by the openssl CLI. The string to sign is written out here independently of the
/// module's own `SNSEnvelope`.
final class SNSSigner: Sendable {
    static let shared = Result { try SNSSigner() }

    static let certificateName = "SimpleNotificationService-0123456789abcdef"
    static let certificateURL = "https://sns.eu-west-1.amazonaws.com/\(certificateName).pem"
    static let topic = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"

    let openssl: OpenSSLTool
    /// Holds `<certificateName>.pem`, as an operator would place it.
    var certificateDirectory: String { openssl.directory.path }
    var keyFile: String { "\(Self.certificateName).key" }

    private init() throws {
        openssl = try OpenSSLTool()
        try openssl.selfSignedRSA(name: Self.certificateName, subject: "/CN=sns.amazonaws.com")
    }

    struct Fields {
        var type = "Notification"
        var message = ""
        var messageId = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
        var subject: String?
        var timestamp = "2024-05-02T00:54:06.655Z"
        var topicArn = SNSSigner.topic
        var subscribeURL: String?
        var token: String?
        var unsubscribeURL: String? = "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:ses-feedback:c9135db0-26c4-47ec-8998-413945fb5a96"
        var signatureVersion = "1"
        var signingCertURL = SNSSigner.certificateURL
    }

    static func stringToSign(_ f: Fields) -> String {
        if f.type == "Notification" {
            return "Message\n\(f.message)\nMessageId\n\(f.messageId)\n"
                + (f.subject.map { "Subject\n\($0)\n" } ?? "")
                + "Timestamp\n\(f.timestamp)\nTopicArn\n\(f.topicArn)\nType\n\(f.type)\n"
        }
        return "Message\n\(f.message)\nMessageId\n\(f.messageId)\nSubscribeURL\n\(f.subscribeURL ?? "")\n"
            + "Timestamp\n\(f.timestamp)\nToken\n\(f.token ?? "")\nTopicArn\n\(f.topicArn)\nType\n\(f.type)\n"
    }

    /// The JSON object SNS would POST, signed with `keyFile` (in `tool`'s folder).
    func document(_ f: Fields, keyFile: String? = nil, tool: OpenSSLTool? = nil, digest: String? = nil) throws -> [String: String] {
        let tool = tool ?? openssl
        let digest = digest ?? (f.signatureVersion == "2" ? "sha256" : "sha1")
        let signature = try tool.sign(Array(Self.stringToSign(f).utf8), keyFile: keyFile ?? self.keyFile, digest: digest)
        var document = [
            "Type": f.type, "MessageId": f.messageId, "TopicArn": f.topicArn, "Message": f.message,
            "Timestamp": f.timestamp, "SignatureVersion": f.signatureVersion,
            "Signature": Data(signature).base64EncodedString(), "SigningCertURL": f.signingCertURL,
        ]
        document["Subject"] = f.subject
        document["SubscribeURL"] = f.subscribeURL
        document["Token"] = f.token
        if f.type == "Notification" { document["UnsubscribeURL"] = f.unsubscribeURL }
        return document
    }

    /// The request SNS would send for `document`.
    static func request(_ document: [String: String]) throws -> HookRequest {
        HookRequest(headers: [
            "content-type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": document["Type"] ?? "",
            "x-amz-sns-topic-arn": document["TopicArn"] ?? "",
        ], body: Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])))
    }
}
