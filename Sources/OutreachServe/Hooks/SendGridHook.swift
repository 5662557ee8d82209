import Crypto
import Foundation

/// Verifies and parses SendGrid Event Webhook requests (signed event webhook).
///
/// It exists because SendGrid signs each request with ECDSA P-256 over SHA-256 of the
/// `x-twilio-email-event-webhook-timestamp` header's bytes followed by the raw body;
/// the signature (base64 DER) is in `x-twilio-email-event-webhook-signature`. The
/// timestamp must lie within `maxAge` of `now`, either way.
public struct SendGridHook: Sendable {
    static let signatureHeader = "x-twilio-email-event-webhook-signature"
    static let timestampHeader = "x-twilio-email-event-webhook-timestamp"

    /// The key's raw representation (Crypto's key types are not `Sendable` on Linux).
    private let publicKeyRaw: Data
    private let maxAge: TimeInterval

    /// - Parameter publicKeyBase64DER: the "Verification Key" of the SendGrid console:
    ///   base64 of a DER SubjectPublicKeyInfo (PEM armour and whitespace are tolerated).
    /// - Throws: `HookConfigurationError.invalidSendGridPublicKey` for anything else.
    public init(publicKeyBase64DER: String, maxAge: TimeInterval) throws {
        let base64 = publicKeyBase64DER
            .split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("-----") }
            .joined()
            .filter { !$0.isWhitespace }
        guard !base64.isEmpty else { throw HookConfigurationError.invalidSendGridPublicKey("empty") }
        guard let der = Data(base64Encoded: base64) else {
            throw HookConfigurationError.invalidSendGridPublicKey("not base64")
        }
        do {
            publicKeyRaw = try P256.Signing.PublicKey(derRepresentation: der).rawRepresentation
        } catch {
            throw HookConfigurationError.invalidSendGridPublicKey("not a DER P-256 SubjectPublicKeyInfo")
        }
        self.maxAge = maxAge
    }

    public func verify(_ request: HookRequest, now: Date) -> HookOutcome {
        guard let signatureText = request.header(Self.signatureHeader),
              let timestamp = request.header(Self.timestampHeader)
        else { return .unauthorized("sendgrid: missing signature or timestamp header") }
        guard request.body.count <= HookLimits.maxBodyBytes else {
            return .malformed("sendgrid: body too large")
        }
        guard let der = Data(base64Encoded: signatureText.trimmingCharacters(in: .whitespaces)),
              let signature = try? P256.Signing.ECDSASignature(derRepresentation: der)
        else { return .unauthorized("sendgrid: signature is not base64 DER") }

        var signed = Data(timestamp.utf8)
        signed.append(contentsOf: request.body)
        guard let publicKey = try? P256.Signing.PublicKey(rawRepresentation: publicKeyRaw),
              publicKey.isValidSignature(signature, for: signed)
        else {
            return .unauthorized("sendgrid: bad signature")
        }

        guard let seconds = Int64(timestamp.trimmingCharacters(in: .whitespaces)) else {
            return .unauthorized("sendgrid: timestamp is not a number")
        }
        let age = now.timeIntervalSince(Date(timeIntervalSince1970: Double(seconds)))
        if age > maxAge { return .forbidden("sendgrid: stale timestamp") }
        if -age > maxAge { return .forbidden("sendgrid: timestamp in the future") }

        guard let json = JSONValue.parse(request.body), let items = json.array else {
            return .malformed("sendgrid: body is not a JSON array")
        }
        return SendGridPayload.outcome(items)
    }
}
