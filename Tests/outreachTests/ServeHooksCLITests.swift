import Foundation
import Testing

/// Provider webhooks through `outreach serve`, signed in the test with keys made by the
/// real `openssl`: valid events land as `events import` would land them; forged, replayed,
/// stale or foreign-topic requests are refused and change nothing.
@Suite("serve: provider webhooks")
struct ServeHooksCLITests {
    /// A campaign with three leads, the webhook configuration, keys, and a running server
    /// whose clock is frozen at `now`.
    final class Setup: @unchecked Sendable {
        static let now = "2026-11-23T10:00:00Z"
        static let epoch = 1_795_428_000  // 2026-11-23T10:00:00Z
        let cli: CLI
        let server: ServeProcess
        let sendgridKey: String
        var database: String { cli.database }

        init() throws {
            cli = try CLI()
            try cli.setUpCampaign(leads: leadsCSV(count: 3))
            let certificates = cli.path("sns-certs")
            try FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: true)
            try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cli.path("sns.key"),
                              "-out", certificates + "/SimpleNotificationService-abc123.pem", "-days", "2", "-subj", "/CN=sns.amazonaws.com"])
            try Self.openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", cli.path("sendgrid.pem")])
            try Self.openssl(["ec", "-in", cli.path("sendgrid.pem"), "-pubout", "-outform", "DER", "-out", cli.path("sendgrid.der")])
            sendgridKey = try #require(FileManager.default.contents(atPath: cli.path("sendgrid.der"))).base64EncodedString()
            let config = try cli.write("serve.yaml", """
                hooks:
                  ses: { topic_arns: ["arn:aws:sns:eu-west-1:123456789012:outreach"], certificate_dir: \(certificates) }
                  sendgrid: { public_key_env: SENDGRID_KEY, max_age: 5m }
                  postmark: { username_env: PM_USER, password_env: PM_PASSWORD }
                  mailgun: { signing_key_env: MAILGUN_KEY, max_age: 5m }
                """)
            server = try ServeProcess(cli, arguments: ["--config", config, "--now", Self.now], environment: [
                "SENDGRID_KEY": sendgridKey, "PM_USER": "postmark", "PM_PASSWORD": "pm-secret", "MAILGUN_KEY": "mg-key",
            ])
        }

        @discardableResult
        static func openssl(_ arguments: [String], input: String? = nil) throws -> CLI.Result {
            let result = try runProcess("/usr/bin/openssl", arguments, input: input)
            guard result.status == 0 else { throw CLIFailure(description: "openssl \(arguments): \(result.stderr)") }
            return result
        }

        /// Signs `text` with a PEM key; the signature in base64.
        func sign(_ text: String, key: String, digest: String) throws -> String {
            let input = cli.path("to-sign-\(UUID().uuidString.prefix(8))")
            try text.write(toFile: input, atomically: true, encoding: .utf8)
            let output = input + ".sig"
            try Self.openssl(["dgst", "-\(digest)", "-sign", key, "-out", output, input])
            return try #require(FileManager.default.contents(atPath: output)).base64EncodedString()
        }

        func post(_ hook: String, body: String, _ arguments: [String] = []) throws -> CurlAnswer {
            let file = try cli.write("body-\(UUID().uuidString.prefix(8)).json", body)
            return try curl("\(server.base)/hooks/\(hook)", ["--data-binary", "@\(file)", "-H", "Content-Type: application/json"] + arguments,
                            in: cli.directory)
        }

        func dump() throws -> String { try snapshot(database) }
        func suppressed() throws -> String { try query(database, "SELECT group_concat(value, ',') FROM (SELECT value FROM suppressions ORDER BY value) AS s") }
        func unsubscribed() throws -> String { try query(database, "SELECT group_concat(email, ',') FROM (SELECT email FROM unsubscribes ORDER BY email) AS s") }

        func mailgunBody(event: String, email: String, id: String, timestamp: Int, token: String, key: String = "mg-key") throws -> String {
            let signature = try Self.openssl(["dgst", "-sha256", "-hmac", key], input: "\(timestamp)\(token)").stdout
                .split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            return """
                {"signature": {"timestamp": "\(timestamp)", "token": "\(token)", "signature": "\(signature)"},
                 "event-data": {"event": "\(event)", "severity": "permanent", "recipient": "\(email)", "id": "\(id)", "timestamp": \(timestamp).25}}
                """
        }
    }

    @Test("a hook that is not configured answers 404")
    func unconfigured() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 1))
        let server = try ServeProcess(cli)
        defer { server.stop() }
        #expect(try curl("\(server.base)/hooks/mailgun", ["-d", "{}"], in: cli.directory).status == 404)
        #expect(try curl("\(server.base)/hooks/nosuch", ["-d", "{}"], in: cli.directory).status == 404)
    }

    @Test("Postmark: basic auth; a hard bounce suppresses and stops the lead; the same event again changes nothing")
    func postmark() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        let body = """
            {"RecordType": "Bounce", "ID": 692560173, "Type": "HardBounce", "MessageID": "6d7c0a53", "Email": "lead1@example.org",
             "BouncedAt": "2026-11-23T09:58:00Z", "Inactive": true}
            """
        let before = try setup.dump()
        #expect(try curl("\(setup.server.base)/hooks/postmark", ["-u", "postmark:pm-secret"], in: setup.cli.directory).status == 405)
        #expect(try setup.post("postmark", body: body).status == 401)
        #expect(try setup.post("postmark", body: body, ["-u", "postmark:wrong"]).status == 401)
        #expect(try setup.dump() == before, "refused requests change nothing")
        let accepted = try setup.post("postmark", body: body, ["-u", "postmark:pm-secret"])
        #expect(accepted.status == 200, "\(accepted.body)")
        #expect(accepted.body.contains("\"imported\":1"))
        #expect(try setup.suppressed() == "lead1@example.org")
        #expect(try query(setup.database, "SELECT status FROM leads WHERE email = 'lead1@example.org'") == "bounced")
        #expect(try query(setup.database, "SELECT id FROM events") == "postmark:692560173")
        let again = try setup.post("postmark", body: body, ["-u", "postmark:pm-secret"])
        #expect(again.status == 200 && again.body.contains("\"already_imported\":1"))
        #expect(!setup.server.log.contains("lead1@example.org"), "no address in the log")
    }

    @Test("Mailgun: HMAC verified; forged 401; stale 403; a replayed token with another body 403")
    func mailgun() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        let now = Setup.epoch
        let before = try setup.dump()
        let forged = try setup.mailgunBody(event: "complained", email: "lead2@example.org", id: "mg-1", timestamp: now, token: "t1", key: "not-the-key")
        #expect(try setup.post("mailgun", body: forged).status == 401)
        let stale = try setup.mailgunBody(event: "complained", email: "lead2@example.org", id: "mg-1", timestamp: now - 600, token: "t0")
        #expect(try setup.post("mailgun", body: stale).status == 403)
        #expect(try setup.dump() == before)

        let valid = try setup.mailgunBody(event: "complained", email: "lead2@example.org", id: "mg-1", timestamp: now - 10, token: "t2")
        #expect(try setup.post("mailgun", body: valid).status == 200)
        #expect(try setup.unsubscribed() == "lead2@example.org")
        #expect(try setup.suppressed() == "lead2@example.org")
        // The same signature block on another event: a replay.
        let replay = valid.replacingOccurrences(of: "lead2@example.org", with: "lead3@example.org").replacingOccurrences(of: "mg-1", with: "mg-2")
        let afterValid = try setup.dump()
        #expect(try setup.post("mailgun", body: replay).status == 403)
        #expect(try setup.post("mailgun", body: valid).status == 200, "an exact retry is fine")
        #expect(try setup.dump() == afterValid)
    }

    @Test("SendGrid: ECDSA P-256 over timestamp + body; forged 401, stale 403")
    func sendgrid() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        let body = """
            [{"email": "lead3@example.org", "timestamp": \(Setup.epoch - 30), "event": "bounce", "type": "bounce", "sg_event_id": "sg-1",
              "reason": "550 5.1.1 no such user"}]
            """
        let stamp = String(Setup.epoch - 5)
        let signature = try setup.sign(stamp + body, key: setup.cli.path("sendgrid.pem"), digest: "sha256")
        let headers = { (stamp: String, signature: String) in
            ["-H", "X-Twilio-Email-Event-Webhook-Signature: \(signature)", "-H", "X-Twilio-Email-Event-Webhook-Timestamp: \(stamp)"]
        }
        let before = try setup.dump()
        let tampered = body.replacingOccurrences(of: "lead3", with: "lead1")
        #expect(try setup.post("sendgrid", body: tampered, headers(stamp, signature)).status == 401)
        let oldStamp = String(Setup.epoch - 900)
        let oldSignature = try setup.sign(oldStamp + body, key: setup.cli.path("sendgrid.pem"), digest: "sha256")
        #expect(try setup.post("sendgrid", body: body, headers(oldStamp, oldSignature)).status == 403)
        #expect(try setup.post("sendgrid", body: body).status == 401, "unsigned")
        #expect(try setup.dump() == before)
        let accepted = try setup.post("sendgrid", body: body, headers(stamp, signature))
        #expect(accepted.status == 200, "\(accepted.body)")
        #expect(try setup.suppressed() == "lead3@example.org")
        #expect(try query(setup.database, "SELECT id FROM events") == "sendgrid:sg-1")
    }

    @Test("SES through SNS: signature versions 1 and 2 with the operator's certificate; wrong topic 403; tampered 401; subscription logged")
    func ses() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        let topic = "arn:aws:sns:eu-west-1:123456789012:outreach"
        func notification(_ email: String, feedback: String, version: String, topic: String = topic, tamper: Bool = false) throws -> String {
            let message = """
                {"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":"\(feedback)",\
                "timestamp":"2026-11-23T09:59:00.000Z","bouncedRecipients":[{"emailAddress":"\(email)"}]},"mail":{"messageId":"m-\(feedback)"}}
                """
            let fields: [(String, String)] = [("Message", message), ("MessageId", "id-\(feedback)"), ("Timestamp", "2026-11-23T09:59:01.000Z"),
                                              ("TopicArn", topic), ("Type", "Notification")]
            let canonical = fields.map { "\($0.0)\n\($0.1)\n" }.joined()
            let signature = try setup.sign(canonical, key: setup.cli.path("sns.key"), digest: version == "2" ? "sha256" : "sha1")
            var object: [String: String] = Dictionary(uniqueKeysWithValues: fields)
            if tamper { object["Message"] = message.replacingOccurrences(of: email, with: "lead3@example.org") }
            object["SignatureVersion"] = version
            object["Signature"] = signature
            object["SigningCertURL"] = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc123.pem"
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let before = try setup.dump()
        #expect(try setup.post("ses", body: try notification("lead1@example.org", feedback: "f0", version: "2",
                                                            topic: "arn:aws:sns:eu-west-1:999999999999:other")).status == 403)
        #expect(try setup.post("ses", body: try notification("lead1@example.org", feedback: "f0", version: "2", tamper: true)).status == 401)
        #expect(try setup.dump() == before)
        #expect(try setup.post("ses", body: try notification("lead1@example.org", feedback: "f1", version: "1")).status == 200)
        #expect(try setup.post("ses", body: try notification("lead2@example.org", feedback: "f2", version: "2")).status == 200)
        #expect(try setup.suppressed() == "lead1@example.org,lead2@example.org")
        #expect(try query(setup.database, "SELECT group_concat(id, ' ') FROM (SELECT id FROM events ORDER BY id) AS s")
                == "ses:f1:lead1@example.org ses:f2:lead2@example.org")

        // A subscription confirmation is verified, then logged for the operator (confirm_subscriptions is off).
        let subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=\(topic)&Token=tok"
        let fields: [(String, String)] = [("Message", "You have chosen to subscribe."), ("MessageId", "sub-1"), ("SubscribeURL", subscribe),
                                          ("Timestamp", "2026-11-23T09:59:01.000Z"), ("Token", "tok"), ("TopicArn", topic),
                                          ("Type", "SubscriptionConfirmation")]
        var object = Dictionary(uniqueKeysWithValues: fields)
        object["SignatureVersion"] = "2"
        object["Signature"] = try setup.sign(fields.map { "\($0.0)\n\($0.1)\n" }.joined(), key: setup.cli.path("sns.key"), digest: "sha256")
        object["SigningCertURL"] = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc123.pem"
        // The same confirmation with another SubscribeURL than the one signed: refused, nothing logged.
        var forged = object
        forged["SubscribeURL"] = subscribe.replacingOccurrences(of: "Token=tok", with: "Token=forged")
        #expect(try setup.post("ses", body: String(decoding: try JSONSerialization.data(withJSONObject: forged), as: UTF8.self)).status == 401)
        #expect(!setup.server.log.contains("Token=forged"))
        let confirmation = try setup.post("ses", body: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        #expect(confirmation.status == 200)
        #expect(setup.server.log.contains("Action=ConfirmSubscription"), "\(setup.server.log)")
    }
}
