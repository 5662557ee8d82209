/// Why a verifier could not be built from its configuration.
///
/// It exists so a misconfigured key fails loudly at start-up, not on the first webhook.
public enum HookConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The SendGrid verification key is not base64 of a DER P-256 SubjectPublicKeyInfo.
    case invalidSendGridPublicKey(String)

    public var description: String {
        switch self {
        case .invalidSendGridPublicKey(let why):
            return "SendGrid verification key: \(why) (expected the base64 DER P-256 public key shown in the SendGrid console)"
        }
    }
}
