/// The outer JSON document of an Amazon SNS HTTP(S) delivery, and the exact string SNS
/// signed.
///
/// It exists to keep AWS's canonical form in one place: for `Notification`, the keys
/// Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type; for
/// `SubscriptionConfirmation` and `UnsubscribeConfirmation`, Message, MessageId,
/// SubscribeURL, Timestamp, Token, TopicArn, Type; each as `Key\nvalue\n`.
struct SNSEnvelope: Sendable {
    enum Kind: String, Sendable {
        case notification = "Notification"
        case subscriptionConfirmation = "SubscriptionConfirmation"
        case unsubscribeConfirmation = "UnsubscribeConfirmation"
    }

    let kind: Kind
    let message: String
    let messageId: String
    let subject: String?
    let timestamp: String
    let topicArn: String
    let subscribeURL: String?
    let token: String?
    let signature: String
    let signatureVersion: String
    let signingCertURL: String

    /// The envelope of `json`, or the rejection: 400 for missing content, 401 for a
    /// missing signature or certificate URL.
    static func parse(_ json: JSONValue) -> Result<SNSEnvelope, HookRejection> {
        guard let typeName = json["Type"]?.string else { return .failure(.malformed("sns: no Type")) }
        guard let kind = Kind(rawValue: typeName) else { return .failure(.malformed("sns: unknown Type")) }
        guard let message = json["Message"]?.string,
              let messageId = json["MessageId"]?.string,
              let timestamp = json["Timestamp"]?.string,
              let topicArn = json["TopicArn"]?.string
        else { return .failure(.malformed("sns: missing Message, MessageId, Timestamp or TopicArn")) }
        let subscribeURL = json["SubscribeURL"]?.string
        let token = json["Token"]?.string
        if kind != .notification, subscribeURL == nil || token == nil {
            return .failure(.malformed("sns: confirmation without SubscribeURL or Token"))
        }
        guard let signature = json["Signature"]?.string,
              let signatureVersion = json["SignatureVersion"]?.string,
              let signingCertURL = json["SigningCertURL"]?.string
        else { return .failure(.unauthorized("sns: missing Signature, SignatureVersion or SigningCertURL")) }
        return .success(SNSEnvelope(
            kind: kind, message: message, messageId: messageId, subject: json["Subject"]?.string,
            timestamp: timestamp, topicArn: topicArn, subscribeURL: subscribeURL, token: token,
            signature: signature, signatureVersion: signatureVersion, signingCertURL: signingCertURL))
    }

    /// The bytes SNS signed.
    var stringToSign: [UInt8] {
        var pairs: [(String, String)] = [("Message", message), ("MessageId", messageId)]
        if kind == .notification {
            if let subject { pairs.append(("Subject", subject)) }
        } else {
            pairs.append(("SubscribeURL", subscribeURL ?? ""))
        }
        pairs.append(("Timestamp", timestamp))
        if kind != .notification { pairs.append(("Token", token ?? "")) }
        pairs.append(("TopicArn", topicArn))
        pairs.append(("Type", kind.rawValue))
        var text = ""
        for (key, value) in pairs { text += "\(key)\n\(value)\n" }
        return Array(text.utf8)
    }
}
