/// A SendGrid Event Webhook batch, shaped like the example of SendGrid's event webhook
/// reference: every event type once.
enum SendGridPayloads {
    static let batch = """
    [
      {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "processed", "category": "cat facts", "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A==", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000"},
      {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "deferred", "category": "cat facts", "sg_event_id": "rbtnWrG1DVDGGGFHFyun0B==", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000", "response": "400 try again later", "attempt": "5"},
      {"email": "example@test.com", "timestamp": 1513299569, "event": "delivered", "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w==", "response": "250 OK"},
      {"email": "example@test.com", "timestamp": 1513299569, "event": "open", "sg_event_id": "FOTFFO0ecsBE-zxFXfs6WA==", "useragent": "Mozilla/4.0", "ip": "255.255.255.255"},
      {"email": "example@test.com", "timestamp": 1513299569, "event": "click", "sg_event_id": "kCAi1KttyQdEKHhdC-nuEA==", "url": "http://www.sendgrid.com/"},
      {"email": "Bounced@Test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", "event": "bounce", "category": "cat facts", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000", "reason": "500 unknown recipient", "status": "5.0.0", "type": "bounce"},
      {"email": "blocked@test.com", "timestamp": 1513299570, "event": "bounce", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPx==", "reason": "550 blocked by policy", "status": "5.7.1", "type": "blocked"},
      {"email": "example@test.com", "timestamp": 1513299569, "event": "dropped", "sg_event_id": "zmzJhfJgAfUSOW80yEbPyw==", "reason": "Bounced Address", "status": "5.0.0"},
      {"email": "complainer@test.com", "timestamp": 1513299571, "event": "spamreport", "sg_event_id": "37nvH5QBz858KGVYCM4uOA=="},
      {"email": "leaver@test.com", "timestamp": 1513299572, "event": "unsubscribe", "sg_event_id": "zz_BjPgU_5pS-J8vlfB1sg=="},
      {"email": "groupleaver@test.com", "timestamp": 1513299573, "event": "group_unsubscribe", "sg_event_id": "ahSCB7xYcXFb-hEaawsPRw==", "asm_group_id": 10},
      {"email": "example@test.com", "timestamp": 1513299569, "event": "group_resubscribe", "sg_event_id": "H_Ab2n8cKylgeO1vTIpnNQ==", "asm_group_id": 10},
      {"email": "not-an-address", "timestamp": 1513299569, "event": "spamreport", "sg_event_id": "noAddressAtAll0000000=="}
    ]
    """
}
