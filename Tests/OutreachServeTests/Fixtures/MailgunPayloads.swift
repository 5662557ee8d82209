/// Mailgun `event-data` objects, shaped like the examples of Mailgun's webhook payload
/// documentation; the tests wrap them with a signature they compute.
enum MailgunPayloads {
    static let failedPermanent = """
    {
      "event": "failed",
      "id": "G9Bn5sl1TC6nu79C8C0bwg",
      "timestamp": 1521233195.375624,
      "log-level": "error",
      "severity": "permanent",
      "reason": "suppress-bounce",
      "envelope": {"sender": "bob@sandbox.mailgun.org", "transport": "smtp", "targets": "alice@example.com"},
      "flags": {"is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false},
      "recipient-domain": "example.com",
      "recipient": "Alice@Example.com",
      "delivery-status": {"attempt-no": 1, "message": "", "code": 605, "description": "Not delivering to previously bounced address", "session-seconds": 0.0},
      "message": {"headers": {"to": "Alice <alice@example.com>", "message-id": "20130503192659.13651.20287@sandbox.mailgun.org", "from": "Bob <bob@sandbox.mailgun.org>", "subject": "Test permanent_fail webhook"}, "attachments": [], "size": 111},
      "storage": {"url": "https://se.api.mailgun.net/v3/domains/sandbox.mailgun.org/messages/message_key", "key": "message_key"},
      "campaigns": [], "tags": ["my_tag_1", "my_tag_2"], "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome"}
    }
    """

    static let failedTemporary = """
    {
      "event": "failed", "id": "Fs7-5t81S2ug8UqsBmwpLw", "timestamp": 1521472262.908181, "log-level": "warn",
      "severity": "temporary", "reason": "generic", "recipient": "bob@example.org", "recipient-domain": "example.org",
      "delivery-status": {"attempt-no": 1, "code": 452, "message": "4.2.2 The email account that you tried to reach is over quota.", "retry-seconds": 600}
    }
    """

    static let complained = """
    {"event": "complained", "id": "-Agny091SquKnsrW2NEKUA", "timestamp": 1521233123.501324, "log-level": "warn",
     "recipient": "carol@example.net", "message": {"headers": {"message-id": "20130503182626.18666.16540@sandbox.mailgun.org"}}}
    """

    static let unsubscribed = """
    {"event": "unsubscribed", "id": "Ase7i2zsRYeDXztHGENqRA", "timestamp": 1521243339.873676, "log-level": "info",
     "recipient": "dave@example.com", "geolocation": {"country": "US", "region": "CA", "city": "San Francisco"}}
    """

    static let delivered = """
    {"event": "delivered", "id": "CPgfbmQMTCKtHW6uIWtuVe", "timestamp": 1521472262.908181, "log-level": "info",
     "recipient": "alice@example.com", "delivery-status": {"code": 250, "message": "OK"}}
    """
}
