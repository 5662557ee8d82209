import Foundation
import Yams

/// The file given to `outreach serve --config` (SPEC §10): where to listen and which
/// provider webhooks to answer, each naming the environment variables of its secrets.
///
/// Every key is optional; an unknown key is refused with the file, line and key (exit 78),
/// as in campaign files. A hook that is present must name what verifying it needs.
public struct ServeConfiguration: Sendable, Equatable {
    /// Amazon SES through SNS.
    public struct SES: Sendable, Equatable {
        public var topicArns: [String]
        /// PEMs named as the last path segment of `SigningCertURL`, trusted as placed.
        public var certificateDirectory: String?
        /// true: GET the `SubscribeURL` of a verified confirmation; false: log it.
        public var confirmSubscriptions: Bool
    }

    /// SendGrid's signed event webhook (ECDSA P-256).
    public struct SendGrid: Sendable, Equatable {
        public var publicKeyEnv: String
        public var maxAgeSeconds: Int
    }

    /// Postmark's webhooks, behind HTTP basic authentication.
    public struct Postmark: Sendable, Equatable {
        public var usernameEnv: String
        public var passwordEnv: String
    }

    /// Mailgun's webhooks (HMAC over timestamp and token).
    public struct Mailgun: Sendable, Equatable {
        public var signingKeyEnv: String
        public var maxAgeSeconds: Int
    }

    public var listen: String?
    public var ses: SES?
    public var sendgrid: SendGrid?
    public var postmark: Postmark?
    public var mailgun: Mailgun?

    public init() {}

    /// The default `max_age` of signed webhooks.
    public static let defaultMaxAgeSeconds = 300

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws -> ServeConfiguration {
        try parse(try YAMLReader.text(path: path, kind: "serve configuration"), file: (path as NSString).lastPathComponent)
    }

    /// Parses the YAML; `file` names the source in error messages.
    public static func parse(_ text: String, file: String) throws -> ServeConfiguration {
        let root = try YAMLReader.compose(text, file: file)
        var configuration = ServeConfiguration()
        guard let root else { return configuration }
        let reader = YAMLReader(file: file)
        let map = try reader.mapping(root, "", allowed: ["listen", "hooks"])
        configuration.listen = try reader.string(map, "listen", "")
        guard let hooksNode = map["hooks"], hooksNode.null == nil else { return configuration }
        let hooks = try reader.mapping(hooksNode, "hooks", allowed: ["ses", "sendgrid", "postmark", "mailgun"])
        if let node = hooks["ses"] {
            let ses = try reader.mapping(node, "hooks.ses", allowed: ["topic_arns", "certificate_dir", "confirm_subscriptions"])
            let arns = try reader.strings(ses, "topic_arns", "hooks.ses")
            guard !arns.isEmpty else {
                throw reader.fail(node, "hooks.ses.topic_arns", "is required: list the SNS topic ARNs whose notifications are accepted.")
            }
            for arn in arns where !arn.hasPrefix("arn:aws") {
                throw reader.fail(ses["topic_arns"], "hooks.ses.topic_arns", "'\(arn)' is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).")
            }
            configuration.ses = SES(topicArns: arns, certificateDirectory: try reader.string(ses, "certificate_dir", "hooks.ses"),
                                    confirmSubscriptions: try reader.bool(ses, "confirm_subscriptions", "hooks.ses", default: false))
        }
        if let node = hooks["sendgrid"] {
            let sendgrid = try reader.mapping(node, "hooks.sendgrid", allowed: ["public_key_env", "max_age"])
            configuration.sendgrid = SendGrid(publicKeyEnv: try reader.variable(sendgrid, "public_key_env", "hooks.sendgrid", parent: node),
                                              maxAgeSeconds: try reader.maxAge(sendgrid, "hooks.sendgrid"))
        }
        if let node = hooks["postmark"] {
            let postmark = try reader.mapping(node, "hooks.postmark", allowed: ["username_env", "password_env"])
            configuration.postmark = Postmark(usernameEnv: try reader.variable(postmark, "username_env", "hooks.postmark", parent: node),
                                              passwordEnv: try reader.variable(postmark, "password_env", "hooks.postmark", parent: node))
        }
        if let node = hooks["mailgun"] {
            let mailgun = try reader.mapping(node, "hooks.mailgun", allowed: ["signing_key_env", "max_age"])
            configuration.mailgun = Mailgun(signingKeyEnv: try reader.variable(mailgun, "signing_key_env", "hooks.mailgun", parent: node),
                                            maxAgeSeconds: try reader.maxAge(mailgun, "hooks.mailgun"))
        }
        return configuration
    }
}

private extension YAMLReader {
    /// A required environment variable name.
    func variable(_ map: [String: Node], _ key: String, _ path: String, parent: Node) throws -> String {
        let name = try requiredString(map, key, path, parent: parent)
        try envName(map[key], name, "\(path).\(key)")
        return name
    }

    /// `max_age`: a duration of at most a day (default five minutes).
    func maxAge(_ map: [String: Node], _ path: String) throws -> Int {
        let seconds = try duration(map, "max_age", path, default: ServeConfiguration.defaultMaxAgeSeconds)
        guard seconds > 0, seconds <= 86_400 else {
            throw fail(map["max_age"], "\(path).max_age", "must be between 1s and 24h.")
        }
        return seconds
    }

    /// A list of texts (a single text counts as a list of one).
    func strings(_ map: [String: Node], _ key: String, _ path: String) throws -> [String] {
        guard let node = map[key], node.null == nil else { return [] }
        if case .scalar(let scalar) = node { return [scalar.string] }
        guard case .sequence(let sequence) = node else { throw fail(node, "\(path).\(key)", "expected a list of texts.") }
        return try sequence.map { item in
            guard case .scalar(let scalar) = item else { throw fail(item, "\(path).\(key)", "expected a list of texts.") }
            return scalar.string
        }
    }
}
