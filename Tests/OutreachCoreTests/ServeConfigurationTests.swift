import Foundation
import Testing
@testable import OutreachCore

/// `serve --config` (SPEC §10): every key optional, unknown keys named with file and line.
@Suite("serve configuration file")
struct ServeConfigurationTests {
    @Test("the SPEC's example reads as written; an empty file is the defaults")
    func example() throws {
        let configuration = try ServeConfiguration.parse("""
            listen: 127.0.0.1:8025
            hooks:
              ses:      { topic_arns: ["arn:aws:sns:eu-west-1:123456789012:outreach"], certificate_dir: /etc/outreach/sns-certs,
                          confirm_subscriptions: false }
              sendgrid: { public_key_env: SENDGRID_WEBHOOK_PUBLIC_KEY, max_age: 5m }
              postmark: { username_env: POSTMARK_HOOK_USER, password_env: POSTMARK_HOOK_PASSWORD }
              mailgun:  { signing_key_env: MAILGUN_SIGNING_KEY, max_age: 10m }
            """, file: "serve.yaml")
        #expect(configuration.listen == "127.0.0.1:8025")
        #expect(configuration.ses?.topicArns == ["arn:aws:sns:eu-west-1:123456789012:outreach"])
        #expect(configuration.ses?.certificateDirectory == "/etc/outreach/sns-certs")
        #expect(configuration.sendgrid?.maxAgeSeconds == 300)
        #expect(configuration.postmark?.passwordEnv == "POSTMARK_HOOK_PASSWORD")
        #expect(configuration.mailgun?.maxAgeSeconds == 600)
        #expect(try ServeConfiguration.parse("", file: "serve.yaml") == ServeConfiguration())
    }

    @Test("bad files are refused with file, line and key", arguments: [
        ("hooks:\n  ses: { topic_arn: x }\n", "serve.yaml:2: hooks.ses.topic_arn: unknown key"),
        ("hooks:\n  sparkpost: {}\n", "serve.yaml:2: hooks.sparkpost: unknown key"),
        ("listen: x\nport: 1\n", "serve.yaml:2: port: unknown key"),
        ("hooks:\n  mailgun: { signing_key_env: the-key-itself }\n", "hooks.mailgun.signing_key_env: 'the-key-itself' is not an environment variable name"),
        ("hooks:\n  mailgun: { signing_key_env: K, max_age: 3d }\n", "hooks.mailgun.max_age: must be between 1s and 24h"),
        ("hooks:\n  postmark: { username_env: U }\n", "hooks.postmark.password_env: is required"),
        ("hooks:\n  ses: { certificate_dir: /x }\n", "hooks.ses.topic_arns: is required"),
        ("hooks: [\n", "serve.yaml: not valid YAML"),
    ])
    func refused(text: String, expected: String) {
        let error = #expect(throws: OutreachError.self) { try ServeConfiguration.parse(text, file: "serve.yaml") }
        #expect(error?.category == .configuration)
        #expect(error?.message.contains(expected) == true, "got: \(error?.message ?? "")")
    }
}
