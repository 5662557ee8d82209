import Crypto
import Foundation

/// Verifies and parses Mailgun webhooks (`failed`, `complained`, `unsubscribed`).
///
/// It exists because Mailgun signs inside the body: `signature.signature` is the hex
/// HMAC-SHA256, keyed with the webhook signing key, of `timestamp + token`. The body
/// itself is not signed, so tokens are remembered (`ReplayGuard`) and timestamps must
/// lie within `maxAge` of `now`, either way.
public struct MailgunHook: Sendable {
    /// The signing key's bytes (Crypto's `SymmetricKey` is not `Sendable` on Linux).
    private let keyBytes: [UInt8]
    private let maxAge: TimeInterval
    private let replayGuard: ReplayGuard

    public init(signingKey: String, maxAge: TimeInterval, replayGuard: ReplayGuard) {
        keyBytes = Array(signingKey.utf8)
        self.maxAge = maxAge
        self.replayGuard = replayGuard
    }

    public func verify(_ request: HookRequest, now: Date) -> HookOutcome {
        guard request.body.count <= HookLimits.maxBodyBytes else {
            return .malformed("mailgun: body too large")
        }
        guard let json = JSONValue.parse(request.body), json.isObject else {
            return .malformed("mailgun: body is not a JSON object")
        }
        guard let signature = json["signature"], signature.isObject else {
            return .unauthorized("mailgun: no signature object")
        }
        guard let timestamp = signature["timestamp"]?.identifier,
              let token = signature["token"]?.string, !token.isEmpty,
              let hex = signature["signature"]?.string
        else { return .unauthorized("mailgun: incomplete signature object") }
        guard let mac = Hex.decode(hex),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array((timestamp + token).utf8), using: SymmetricKey(data: keyBytes))
        else { return .unauthorized("mailgun: bad signature") }

        guard let seconds = Int64(timestamp) else { return .unauthorized("mailgun: timestamp is not a number") }
        let signedAt = Date(timeIntervalSince1970: Double(seconds))
        let age = now.timeIntervalSince(signedAt)
        if age > maxAge { return .forbidden("mailgun: stale timestamp") }
        if -age > maxAge { return .forbidden("mailgun: timestamp in the future") }

        // Parse before remembering the token, so a malformed body stays a 400 on retry.
        let outcome = MailgunPayload.outcome(json["event-data"])
        if case .rejected = outcome { return outcome }

        let digest = Array(SHA256.hash(data: request.body))
        switch replayGuard.check(token: token, bodyDigest: digest, expiresAt: signedAt + maxAge, now: now) {
        case .fresh: return outcome
        case .retry: return .events([])
        case .replay: return .forbidden("mailgun: token replayed with another body")
        }
    }
}
