import Crypto
import Foundation

/// SHA-256 and HMAC-SHA-256 in the hex and base64url forms the artifacts and unsubscribe
/// tokens use.
public enum SHA256Digest {
    /// Lower-case hex SHA-256 of some bytes.
    public static func hex(of data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { byteHex[Int($0)] }.joined()
    }

    /// Lower-case hex SHA-256 of a string's UTF-8 bytes.
    public static func hex(of text: String) -> String {
        hex(of: Data(text.utf8))
    }

    /// The HMAC-SHA-256 bytes.
    public static func hmac(key: String, message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key.utf8))))
    }

    private static let byteHex: [String] = (0..<256).map { String(format: "%02x", $0) }
}
