import Foundation

/// A rendered message, ready for any transport: the same value becomes an `.eml` preview,
/// the bytes piped to sendmail, and the JSON POSTed over HTTP.
///
/// It is stored with its job (`job_messages`) when the job is created, so a retry or an
/// operator re-dispatch sends exactly what was claimed, and previews are reproducible.
/// Every field is already free of CR/LF: the builder sanitises lead data before it gets here.
public struct OutgoingMessage: Sendable, Equatable {
    /// The bare recipient address (envelope and `To`).
    public var to: String
    /// The recipient display name, if any.
    public var toName: String?
    /// The `From` mailbox as written in the campaign file.
    public var from: String
    public var replyTo: String?
    public var subject: String
    /// Plain-text body with the compliance footer, LF line ends.
    public var body: String
    /// `Message-ID` without angle brackets.
    public var messageID: String
    /// `Date`: when the job was created.
    public var date: Date
    /// `List-Unsubscribe` targets (https URL, mailto URI), in order.
    public var unsubscribeTargets: [String]
    /// The job's idempotency key as it leaves the machine, prefixed by the installation id
    /// (`X-Outreach-Key`, and the HTTP `Idempotency-Key`); the database keeps the bare key.
    public var idempotencyKey: String
    public var campaignSlug: String
    /// A threaded follow-up (SPEC §12): the `Message-ID` it replies to, without brackets.
    public var inReplyTo: String? = nil
    /// The thread's earlier `Message-ID`s, oldest first (`References`).
    public var references: [String] = []

    /// The JSON stored in `job_messages.message` (written field by field: it runs once per job).
    public func storedJSON() -> String {
        var out = "{\"to\":" + JSONText.quote(to)
        out += ",\"to_name\":" + (toName.map(JSONText.quote) ?? "null")
        out += ",\"from\":" + JSONText.quote(from)
        out += ",\"reply_to\":" + (replyTo.map(JSONText.quote) ?? "null")
        out += ",\"subject\":" + JSONText.quote(subject)
        out += ",\"body\":" + JSONText.quote(body)
        out += ",\"message_id\":" + JSONText.quote(messageID)
        out += ",\"date\":\"" + Timestamp.format(date) + "\""
        out += ",\"unsubscribe\":[" + unsubscribeTargets.map(JSONText.quote).joined(separator: ",") + "]"
        out += ",\"idempotency_key\":" + JSONText.quote(idempotencyKey)
        out += ",\"campaign\":" + JSONText.quote(campaignSlug)
        if let inReplyTo {
            out += ",\"in_reply_to\":" + JSONText.quote(inReplyTo)
            out += ",\"references\":[" + references.map(JSONText.quote).joined(separator: ",") + "]"
        }
        return out + "}"
    }

    /// Reads a message back from `job_messages.message`.
    public static func fromStoredJSON(_ json: String) throws -> OutgoingMessage {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let to = object["to"] as? String, let from = object["from"] as? String,
              let subject = object["subject"] as? String, let body = object["body"] as? String,
              let messageID = object["message_id"] as? String, let dateText = object["date"] as? String,
              let date = Timestamp.parse(dateText), let key = object["idempotency_key"] as? String,
              let campaign = object["campaign"] as? String
        else { throw OutreachError.unexpected("A stored message cannot be read; the job's message row is damaged.") }
        return OutgoingMessage(
            to: to, toName: object["to_name"] as? String, from: from, replyTo: object["reply_to"] as? String,
            subject: subject, body: body, messageID: messageID, date: date,
            unsubscribeTargets: object["unsubscribe"] as? [String] ?? [], idempotencyKey: key, campaignSlug: campaign,
            inReplyTo: object["in_reply_to"] as? String, references: object["references"] as? [String] ?? [])
    }
}
