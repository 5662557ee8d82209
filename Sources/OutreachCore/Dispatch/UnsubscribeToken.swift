import Foundation

/// The signed token in a message's one-click unsubscribe URL.
///
/// `base64url("<campaign slug>:<email>") + "." + base64url(HMAC-SHA-256(secret, that payload))`.
/// The endpoint that receives the click (the operator's, not outreach's) verifies the
/// signature with the same secret and records the unsubscribe; `verify` is the reference.
public enum UnsubscribeToken {
    /// A token for this recipient of this campaign.
    public static func make(secret: String, campaignSlug: String, email: String) -> String {
        let payload = base64url(Data("\(campaignSlug):\(email)".utf8))
        return payload + "." + signature(secret: secret, payload: payload)
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
        let hex = SHA256Digest.hmacHex(key: secret, message: payload)
        var bytes = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return base64url(Data(bytes))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64url(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
