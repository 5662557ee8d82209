import Foundation
import Logging
import OutreachCore

/// The routes of `outreach serve` (SPEC §10): one-click unsubscribe, provider webhooks,
/// health and metrics. Each request that changes anything is one transaction.
public final class ServeApp: Sendable {
    private let store: Store
    private let clock: any WallClock
    private let logger: Logger
    private let unsubscriber: OneClickUnsubscribe
    /// Clicks arriving together are recorded in one transaction.
    private let clicks: GroupCommit<String, OneClickUnsubscribe.Outcome?>
    private let hooks: WebhookRoutes
    private let metrics = ServeMetrics()

    public init(store: Store, clock: any WallClock, secrets: SecretEnvironment, hooks: WebhookRoutes, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.hooks = hooks
        let unsubscriber = OneClickUnsubscribe(store: store, clock: clock, secrets: secrets)
        self.unsubscriber = unsubscriber
        clicks = GroupCommit { tokens in try unsubscriber.unsubscribe(tokens) }
    }

    /// Campaigns whose links `serve` cannot verify because their secret is not set here.
    public func campaignsWithoutSecret() throws -> [String] {
        try store.campaigns()
            .filter { $0.campaign.unsubscribe.url != nil && unsubscriber.signingSecrets(of: $0.campaign).isEmpty }
            .map(\.slug)
    }

    /// Answers one request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let (route, response) = route(request)
        metrics.request(route: route, status: response.status)
        logger.debug("request", metadata: [
            "method": .string(request.method), "route": .string(route), "status": .stringConvertible(response.status),
            "ms": .stringConvertible(Int((ContinuousClock.now - started) / .milliseconds(1))),
        ])
        return response
    }

    private func route(_ request: HTTPRequest) -> (String, HTTPResponse) {
        let path = request.path
        let readable = request.method == "GET" || request.method == "HEAD"
        if path.hasPrefix("/u/") {
            let token = String(path.dropFirst(3))
            guard !token.contains("/") else { return ("/u/{token}", UnsubscribePage.unknown()) }
            switch request.method {
            case "GET", "HEAD": return ("/u/{token}", confirmationPage(token))
            case "POST": return ("/u/{token}", unsubscribe(token, request))
            default: return ("/u/{token}", Self.methodNotAllowed("GET, HEAD, POST"))
            }
        }
        if path.hasPrefix("/hooks/") {
            let provider = String(path.dropFirst(7))
            guard hooks.isConfigured(provider) else { return ("/hooks/unknown", .text(404, "No such hook.\n")) }
            guard request.method == "POST" else { return ("/hooks/\(provider)", Self.methodNotAllowed("POST")) }
            return ("/hooks/\(provider)", hooks.handle(provider: provider, request, metrics: metrics))
        }
        switch path {
        case "/healthz":
            guard readable else { return (path, Self.methodNotAllowed("GET, HEAD")) }
            return (path, health())
        case "/metrics":
            guard readable else { return (path, Self.methodNotAllowed("GET, HEAD")) }
            return (path, metricsText())
        default:
            return ("other", .text(404, "Not found.\n"))
        }
    }

    // MARK: - Unsubscribe

    private func confirmationPage(_ token: String) -> HTTPResponse {
        do {
            guard let target = try unsubscriber.resolve(token) else { return UnsubscribePage.unknown() }
            return UnsubscribePage.confirm(email: target.email, sender: target.sender, everyCampaign: target.scopeCampaignID == nil)
        } catch {
            return unavailable(error, doing: "showing an unsubscribe page")
        }
    }

    private func unsubscribe(_ token: String, _ request: HTTPRequest) -> HTTPResponse {
        do {
            guard let outcome = try clicks.submit(token) else { return UnsubscribePage.unknown() }
            let target: OneClickUnsubscribe.Target
            switch outcome {
            case .recorded(let recorded):
                target = recorded
                metrics.unsubscribe("recorded")
                logger.info("one-click unsubscribe recorded", metadata: Self.fields(recorded))
            case .alreadyRecorded(let known):
                target = known
                metrics.unsubscribe("already_recorded")
                logger.debug("one-click unsubscribe repeated", metadata: Self.fields(known))
            }
            // The page's own button asks for the confirmation page; RFC 8058 clients get an empty 200.
            let fields = FormFields.parse(contentType: request.headers["content-type"], body: request.body)
            if fields["page"] == "1" { return UnsubscribePage.done(email: target.email) }
            return HTTPResponse(status: 200, headers: [("Cache-Control", "no-store")])
        } catch {
            return unavailable(error, doing: "recording an unsubscribe")
        }
    }

    /// Log fields of an unsubscribe: the address only as a hash.
    private static func fields(_ target: OneClickUnsubscribe.Target) -> Logger.Metadata {
        ["email_sha256": .string(String(ForgetQueries.hash(target.email).prefix(16))), "campaign": .string(target.campaignSlug),
         "scope": .string(target.scopeCampaignID == nil ? "global" : "campaign")]
    }

    // MARK: - Health and metrics

    private func health() -> HTTPResponse {
        do {
            try store.checkDatabase()
            return .text(200, "{\"status\":\"ok\"}\n", contentType: "application/json")
        } catch {
            logger.warning("health check failed: the database does not answer", metadata: ["error": .string("\(error)")])
            return .text(503, "{\"status\":\"unavailable\"}\n", contentType: "application/json")
        }
    }

    private func metricsText() -> HTTPResponse {
        do {
            let now = clock.now()
            let database = try store.metricsText(now: now)
            return .text(200, database + metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        } catch {
            return unavailable(error, doing: "reading metrics")
        }
    }

    // MARK: - Errors

    /// A failure of ours (the database busy or gone): 503, so the sender retries.
    private func unavailable(_ error: any Error, doing: String) -> HTTPResponse {
        logger.error("\(doing) failed; answered 503 so the sender retries", metadata: ["error": .string("\(error)")])
        return .text(503, "Temporarily unavailable; try again shortly.\n")
    }

    static func methodNotAllowed(_ allowed: String) -> HTTPResponse {
        HTTPResponse(status: 405, headers: [("Allow", allowed), ("Content-Type", "text/plain; charset=utf-8")],
                     body: Array("Method not allowed.\n".utf8))
    }
}
