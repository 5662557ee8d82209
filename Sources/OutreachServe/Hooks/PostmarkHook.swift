import Crypto
import Foundation

/// Verifies and parses Postmark webhooks (Bounce, SpamComplaint, SubscriptionChange).
///
/// It exists because Postmark signs nothing: the only proof of origin is the HTTP Basic
/// credentials configured in the webhook URL, checked here in constant time.
/// Delivery, Open, Click and other record types are verified and ignored.
public struct PostmarkHook: Sendable {
    /// SHA-256 of the expected `user:password` (a Crypto digest is not `Sendable` on Linux).
    private let expectedDigest: [UInt8]

    public init(username: String, password: String) {
        expectedDigest = Array(SHA256.hash(data: Array("\(username):\(password)".utf8)))
    }

    public func verify(_ request: HookRequest, now: Date) -> HookOutcome {
        guard let authorization = request.header("authorization") else {
            return .unauthorized("postmark: no authorization header")
        }
        guard let given = Self.basicCredentials(authorization) else {
            return .unauthorized("postmark: authorization is not HTTP Basic")
        }
        // Both sides are hashed first, so the comparison takes the same time whatever
        // the length or content of what was sent.
        guard ConstantTime.equal(Array(SHA256.hash(data: given)), expectedDigest) else {
            return .unauthorized("postmark: wrong credentials")
        }
        guard request.body.count <= HookLimits.maxBodyBytes else {
            return .malformed("postmark: body too large")
        }
        guard let json = JSONValue.parse(request.body), json.isObject else {
            return .malformed("postmark: body is not a JSON object")
        }
        return PostmarkPayload.outcome(json)
    }

    /// The decoded `user:password` bytes of an `Authorization: Basic …` value.
    static func basicCredentials(_ header: String) -> [UInt8]? {
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces))
        else { return nil }
        return Array(data)
    }
}
