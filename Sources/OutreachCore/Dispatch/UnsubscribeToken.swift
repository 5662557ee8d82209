import Crypto
import Foundation

/// The signed token in a message's one-click unsubscribe URL.
///
/// `base64url("<campaign slug>:<email>") + "." + base64url(HMAC-SHA-256(secret, that payload))`.
/// The endpoint that receives the click (the operator's, not outreach's) verifies the
/// signature with the same secret and records the unsubscribe; `verify` is the reference.
public enum UnsubscribeToken {
    /// A token for this recipient of this campaign.
    public static func make(secret: String, campaignSlug: String, email: String) -> String {
        Signer(secret: secret).token(campaignSlug: campaignSlug, email: email)
    }

    /// Makes tokens with one secret (the key is prepared once, not per message).
    public struct Signer: @unchecked Sendable {  // SymmetricKey is immutable but not marked Sendable.
        /// An HMAC already keyed; each token copies it (a value) and adds its payload.
        private let keyed: HMAC<SHA256>

        public init(secret: String) {
            keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        }

        public func token(campaignSlug: String, email: String) -> String {
            let payload = base64url(Array("\(campaignSlug):\(email)".utf8))
            var hmac = keyed
            hmac.update(data: Array(payload.utf8))
            return payload + "." + base64url(Array(hmac.finalize()))
        }
    }

    /// The campaign slug and email a valid token carries, or nil for a forged or damaged one.
    public static func verify(_ token: String, secret: String) -> (campaignSlug: String, email: String)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, signature(secret: secret, payload: String(parts[0])) == parts[1],
              let data = decodeBase64url(String(parts[0])), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func signature(secret: String, payload: String) -> String {
        base64url(SHA256Digest.hmac(key: secret, message: payload))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// RFC 4648 §5 base64url without padding.
    static func base64url(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(contentsOf: [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)],
                                    alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(value >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeBase64url(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
