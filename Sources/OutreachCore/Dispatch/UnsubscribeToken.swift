import Crypto
import Foundation

/// The signed token in a message's one-click unsubscribe URL (SPEC §10).
///
/// Since version 2 a token names the lead by its id and carries no address:
/// `2.<lead id>.<base64url(HMAC-SHA-256(secret, "outreach-unsubscribe:2:<lead id>"))>`.
/// Tokens of version 1, `base64url("<campaign slug>:<email>").<base64url(HMAC)>`, are in
/// messages already sent and stay valid. `outreach serve` resolves the reference in the
/// database, then checks the signature against the campaign's secret (and its previous one
/// during a rotation) in constant time.
public enum UnsubscribeToken {
    /// Longer tokens are not ours; refused before any work.
    public static let maximumLength = 600

    /// What a token refers to, before its signature is checked.
    public enum Reference: Sendable, Equatable {
        case lead(id: Int64)
        /// A version 1 token: the address in (base64) clear.
        case legacy(campaignSlug: String, email: String)
    }

    /// A token split into what it names, the text its signature covers, and the signature.
    public struct Parsed: Sendable, Equatable {
        public let reference: Reference
        let signedText: String
        let signature: [UInt8]

        /// True when one of `secrets` made the signature (constant-time comparison; every
        /// secret is tried, so the time does not tell which matched).
        public func isSigned(byOneOf secrets: [String]) -> Bool {
            var matched = false
            for secret in secrets {
                let key = SymmetricKey(data: Data(secret.utf8))
                if HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data(signedText.utf8), using: key) {
                    matched = true
                }
            }
            return matched
        }
    }

    /// Splits a token, or nil when it has neither shape (nothing is looked up for it).
    public static func parse(_ token: String) -> Parsed? {
        guard token.utf8.count <= maximumLength else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 3:
            guard parts[0] == "2", let id = Int64(parts[1]), id > 0, String(id) == parts[1],
                  let signature = decodeBase64url(parts[2]), signature.count == 32
            else { return nil }
            return Parsed(reference: .lead(id: id), signedText: signedText(leadID: id), signature: Array(signature))
        case 2:
            guard let data = decodeBase64url(parts[0]), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":"), let signature = decodeBase64url(parts[1]), signature.count == 32
            else { return nil }
            return Parsed(reference: .legacy(campaignSlug: String(text[..<colon]), email: String(text[text.index(after: colon)...])),
                          signedText: parts[0], signature: Array(signature))
        default:
            return nil
        }
    }

    static func signedText(leadID: Int64) -> String { "outreach-unsubscribe:2:\(leadID)" }

    /// Makes tokens with one secret (the key is prepared once, not per message).
    public struct Signer: @unchecked Sendable {  // SymmetricKey is immutable but not marked Sendable.
        /// An HMAC already keyed; each token copies it (a value) and adds its payload.
        private let keyed: HMAC<SHA256>

        public init(secret: String) {
            keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        }

        /// The token of new messages: the lead's id and a signature, no address.
        public func token(leadID: Int64) -> String {
            "2.\(leadID)." + base64url(mac(signedText(leadID: leadID)))
        }

        /// A version 1 token, as messages sent before version 2 carry (kept for tests and
        /// for reading old messages, never put in new ones).
        public func legacyToken(campaignSlug: String, email: String) -> String {
            let payload = base64url(Array("\(campaignSlug):\(email)".utf8))
            return payload + "." + base64url(mac(payload))
        }

        private func mac(_ text: String) -> [UInt8] {
            var hmac = keyed
            hmac.update(data: Array(text.utf8))
            return Array(hmac.finalize())
        }
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
