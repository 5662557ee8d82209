import Foundation
import Logging
import OutreachCore

/// `POST /hooks/{provider}` (SPEC §10): each configured provider's verifier, then the
/// verified events through the same pipeline as `events import` (idempotent by the
/// provider's event id). A request that fails verification changes nothing.
public struct WebhookRoutes: Sendable {
    private let verifiers: [String: any WebhookVerifier]
    private let confirmSubscriptions: Bool
    private let fetcher: (any CertificateFetcher)?
    private let importer: EventImporter
    private let clock: any WallClock
    private let logger: Logger

    /// `fetcher` GETs a confirmed SNS `SubscribeURL` (and is the one the SNS verifier uses).
    public init(verifiers: [String: any WebhookVerifier], confirmSubscriptions: Bool, fetcher: (any CertificateFetcher)?,
                store: Store, clock: any WallClock, logger: Logger) {
        self.verifiers = verifiers
        self.confirmSubscriptions = confirmSubscriptions
        self.fetcher = fetcher
        importer = EventImporter(store: store, clock: clock)
        self.clock = clock
        self.logger = logger
    }

    /// The verifiers a configuration asks for, with their secrets from the environment; a
    /// missing variable or an unusable key is a configuration error (exit 78).
    public static func verifiers(_ configuration: ServeConfiguration, secrets: SecretEnvironment,
                                 fetcher: (any CertificateFetcher)?) throws -> [String: any WebhookVerifier] {
        var verifiers: [String: any WebhookVerifier] = [:]
        if let ses = configuration.ses {
            verifiers["ses"] = SNSHook(topicArns: Set(ses.topicArns), certificateDirectory: ses.certificateDirectory, fetcher: fetcher)
        }
        if let sendgrid = configuration.sendgrid {
            let key = try secrets.require(sendgrid.publicKeyEnv, for: "the SendGrid webhook (hooks.sendgrid.public_key_env)")
            do {
                verifiers["sendgrid"] = try SendGridHook(publicKeyBase64DER: key, maxAge: TimeInterval(sendgrid.maxAgeSeconds))
            } catch {
                throw OutreachError.configuration("\(sendgrid.publicKeyEnv) does not hold a SendGrid verification key (base64 DER of a P-256 public key, as SendGrid shows it).")
            }
        }
        if let postmark = configuration.postmark {
            verifiers["postmark"] = PostmarkHook(
                username: try secrets.require(postmark.usernameEnv, for: "the Postmark webhook (hooks.postmark.username_env)"),
                password: try secrets.require(postmark.passwordEnv, for: "the Postmark webhook (hooks.postmark.password_env)"))
        }
        if let mailgun = configuration.mailgun {
            verifiers["mailgun"] = MailgunHook(
                signingKey: try secrets.require(mailgun.signingKeyEnv, for: "the Mailgun webhook (hooks.mailgun.signing_key_env)"),
                maxAge: TimeInterval(mailgun.maxAgeSeconds), replayGuard: ReplayGuard())
        }
        return verifiers
    }

    func isConfigured(_ provider: String) -> Bool { verifiers[provider] != nil }

    /// The configured providers, for the start-up log line.
    public var providers: [String] { verifiers.keys.sorted() }

    func handle(provider: String, _ request: HTTPRequest, metrics: ServeMetrics) -> HTTPResponse {
        guard let verifier = verifiers[provider] else { return .text(404, "No such hook.\n") }
        switch verifier.verify(HookRequest(headers: request.headers, body: request.body), now: clock.now()) {
        case .rejected(let status, let reason):
            metrics.hookEvents(provider: provider, result: "rejected")
            logger.warning("webhook refused", metadata: ["provider": .string(provider), "status": .stringConvertible(status),
                                                         "reason": .string(reason)])
            return .text(status, "Refused.\n")
        case .subscriptionConfirmation(let subscribeURL, let topicArn):
            return confirm(subscribeURL: subscribeURL, topicArn: topicArn)
        case .events(let feedback):
            do {
                let report = try importer.record(feedback)
                metrics.hookEvents(provider: provider, result: "imported", count: report.imported)
                metrics.hookEvents(provider: provider, result: "already_imported", count: report.alreadyImported)
                metrics.hookEvents(provider: provider, result: "forgotten", count: report.forgotten)
                if report.imported > 0 {
                    logger.info("webhook events imported", metadata: [
                        "provider": .string(provider), "imported": .stringConvertible(report.imported),
                        "already_imported": .stringConvertible(report.alreadyImported), "bounced": .stringConvertible(report.bounced),
                        "unsubscribed": .stringConvertible(report.unsubscribed), "suppressed": .stringConvertible(report.suppressed),
                    ])
                }
                return .text(200, "{\"events\":\(feedback.count),\"imported\":\(report.imported),\"already_imported\":\(report.alreadyImported)}\n",
                             contentType: "application/json")
            } catch {
                logger.error("recording webhook events failed; answered 503 so the provider retries",
                             metadata: ["provider": .string(provider), "error": .string("\(error)")])
                return .text(503, "Temporarily unavailable; try again shortly.\n")
            }
        }
    }

    /// A verified SNS subscription: confirmed when configured to, else logged for the operator
    /// (the one request value logged in clear).
    private func confirm(subscribeURL: String, topicArn: String) -> HTTPResponse {
        guard confirmSubscriptions, let fetcher, let url = URL(string: subscribeURL), SNSURLCheck.isAmazonSNS(subscribeURL) else {
            logger.warning("SNS subscription awaits confirmation: open the SubscribeURL to confirm it",
                           metadata: ["topic_arn": .string(topicArn), "subscribe_url": .string(subscribeURL)])
            return .text(200, "Subscription noted.\n")
        }
        do {
            _ = try fetcher.fetch(url)
            logger.info("SNS subscription confirmed", metadata: ["topic_arn": .string(topicArn)])
            return .text(200, "Subscription confirmed.\n")
        } catch {
            logger.error("confirming the SNS subscription failed; SNS will send the confirmation again",
                         metadata: ["topic_arn": .string(topicArn), "error": .string("\(error)")])
            return .text(503, "Temporarily unavailable; try again shortly.\n")
        }
    }
}

/// A provider's webhook verification (the verifiers in `Hooks/`).
public protocol WebhookVerifier: Sendable {
    func verify(_ request: HookRequest, now: Date) -> HookOutcome
}

extension SNSHook: WebhookVerifier {}
extension SendGridHook: WebhookVerifier {}
extension PostmarkHook: WebhookVerifier {}
extension MailgunHook: WebhookVerifier {}
