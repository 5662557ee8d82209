/// Postmark webhook bodies, shaped like the examples of Postmark's webhook documentation
/// (bounce, spam complaint, subscription change, delivery).
enum PostmarkPayloads {
    static let hardBounce = """
    {
      "RecordType": "Bounce",
      "MessageStream": "outbound",
      "ID": 4323372036854775807,
      "Type": "HardBounce",
      "TypeCode": 1,
      "Name": "Hard bounce",
      "Tag": "Test",
      "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
      "Metadata": {"a_key": "a_value", "b_key": "b_value"},
      "ServerID": 23,
      "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
      "Details": "Test bounce details",
      "Email": " John@Example.com ",
      "From": "sender@example.com",
      "BouncedAt": "2019-11-05T16:33:54.9070259Z",
      "DumpAvailable": true,
      "Inactive": true,
      "CanActivate": true,
      "Subject": "Test subject",
      "Content": "<Full dump of bounce>"
    }
    """

    static func bounce(type: String, id: Int = 692560173, email: String = "jane@example.com") -> String {
        """
        {"RecordType": "Bounce", "ID": \(id), "Type": "\(type)", "TypeCode": 4096, "MessageID": "6d7c0a53-0c31-4b7c-b9a4-4c8f2a6d3f10",
         "ServerID": 23, "Email": "\(email)", "From": "sender@example.com", "BouncedAt": "2014-01-15T16:09:19.6421112-05:00",
         "Inactive": false, "CanActivate": true, "MessageStream": "outbound"}
        """
    }

    static let spamComplaint = """
    {
      "RecordType": "SpamComplaint",
      "MessageStream": "outbound",
      "ID": 42,
      "Type": "SpamComplaint",
      "TypeCode": 100001,
      "Name": "Spam complaint",
      "Tag": "Test",
      "MessageID": "00000000-0000-0000-0000-000000000000",
      "Metadata": {"a_key": "a_value", "b_key": "b_value"},
      "ServerID": 1234,
      "Description": "",
      "Details": "Test spam complaint details",
      "Email": "john@example.com",
      "From": "sender@example.com",
      "BouncedAt": "2019-11-05T16:33:54.9070259Z",
      "DumpAvailable": true,
      "Inactive": true,
      "CanActivate": false,
      "Subject": "Test subject",
      "Content": "<Abuse report dump>"
    }
    """

    static let subscriptionChange = """
    {
      "RecordType": "SubscriptionChange",
      "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
      "ServerID": 123456,
      "MessageStream": "outbound",
      "ChangedAt": "2020-02-01T10:53:34.416071Z",
      "Recipient": "bounced-address@wildbit.com",
      "Origin": "Recipient",
      "SuppressSending": true,
      "SuppressionReason": "ManualSuppression",
      "Tag": "my-tag",
      "Metadata": {"example": "value", "example_2": "value"}
    }
    """

    static let manualSuppression = """
    {"RecordType": "SubscriptionChange", "MessageID": null, "ServerID": 123456, "MessageStream": "outbound",
     "ChangedAt": "2020-02-01T10:53:34.416071Z", "Recipient": "ops@example.com", "Origin": "Customer",
     "SuppressSending": true, "SuppressionReason": "ManualSuppression", "Tag": null, "Metadata": {}}
    """

    static let reactivation = """
    {"RecordType": "SubscriptionChange", "MessageID": null, "ServerID": 123456, "MessageStream": "outbound",
     "ChangedAt": "2020-02-02T10:53:34Z", "Recipient": "ops@example.com", "Origin": "Customer",
     "SuppressSending": false, "SuppressionReason": null, "Tag": null, "Metadata": {}}
    """

    static let delivery = """
    {
      "RecordType": "Delivery",
      "ServerID": 23,
      "MessageStream": "outbound",
      "MessageID": "00000000-0000-0000-0000-000000000000",
      "Recipient": "john@example.com",
      "Tag": "welcome-email",
      "DeliveredAt": "2019-11-05T16:33:54.9070259Z",
      "Details": "Test delivery webhook details",
      "Metadata": {"a_key": "a_value", "b_key": "b_value"}
    }
    """
}
