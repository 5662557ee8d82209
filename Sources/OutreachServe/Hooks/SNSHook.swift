import Foundation
import OutreachCore

/// Verifies Amazon SNS deliveries to an HTTPS endpoint and parses the Amazon SES
/// notifications they carry.
///
/// It exists because SNS signs each message with an RSA certificate named by URL in the
/// message itself, so that URL, the certificate and the topic all need checking before
/// the signature means anything. Order of checks: JSON shape (400), topic in
/// `topicArns` (403), `SignatureVersion` 1 or 2 (401), `SigningCertURL` on
/// `sns.<region>.amazonaws.com[.cn]` (403, before any fetch or file read), a
/// `SubscribeURL` likewise (403), `Timestamp` not more than an hour ahead (403; old
/// ones are accepted, SNS retries for hours), the certificate (403, or 503 when the
/// fetch fails), the signature (401).
///
/// The certificate comes from `certificateDirectory` when set (the file named like the
/// URL's last segment, placed there by the operator and trusted as is), else from
/// `fetcher`, and must then chain to the system's trusted CAs at `now`; fetched
/// certificates are cached by URL.
public struct SNSHook: Sendable {
    private let topicArns: Set<String>
    private let certificateDirectory: String?
    private let fetcher: (any CertificateFetcher)?
    private let trustedCAFile: String?
    private let cache = SNSCertificateCache()

    /// How far ahead of `now` a message `Timestamp` may be.
    static let maxClockSkew: TimeInterval = 3600

    public init(topicArns: Set<String>, certificateDirectory: String?, fetcher: (any CertificateFetcher)?) {
        self.init(topicArns: topicArns, certificateDirectory: certificateDirectory, fetcher: fetcher, trustedCAFile: nil)
    }

    /// `trustedCAFile` replaces the system CA store for fetched certificates (tests).
    init(topicArns: Set<String>, certificateDirectory: String?, fetcher: (any CertificateFetcher)?, trustedCAFile: String?) {
        self.topicArns = topicArns
        self.certificateDirectory = certificateDirectory
        self.fetcher = fetcher
        self.trustedCAFile = trustedCAFile
    }

    public func verify(_ request: HookRequest, now: Date) -> HookOutcome {
        guard request.body.count <= HookLimits.maxBodyBytes else { return .malformed("sns: body too large") }
        guard let json = JSONValue.parse(request.body), json.isObject else {
            return .malformed("sns: body is not a JSON object")
        }
        let envelope: SNSEnvelope
        switch SNSEnvelope.parse(json) {
        case .success(let parsed): envelope = parsed
        case .failure(let rejection): return rejection.outcome
        }
        guard topicArns.contains(envelope.topicArn) else { return .forbidden("sns: unexpected TopicArn") }

        let digest: X509Certificate.Digest
        switch envelope.signatureVersion {
        case "1": digest = .sha1
        case "2": digest = .sha256
        default: return .unauthorized("sns: unsupported SignatureVersion")
        }
        guard let fileName = SNSURLCheck.certificateFileName(envelope.signingCertURL) else {
            return .forbidden("sns: SigningCertURL is not an Amazon SNS certificate URL")
        }
        if let subscribeURL = envelope.subscribeURL, envelope.kind != .notification,
           !SNSURLCheck.isAmazonSNS(subscribeURL) {
            return .forbidden("sns: SubscribeURL is not an Amazon SNS URL")
        }
        guard let sentAt = Timestamp.parse(envelope.timestamp) else { return .malformed("sns: Timestamp is not RFC 3339") }
        if sentAt.timeIntervalSince(now) > Self.maxClockSkew { return .forbidden("sns: Timestamp in the future") }
        guard let signature = Data(base64Encoded: envelope.signature), !signature.isEmpty else {
            return .unauthorized("sns: Signature is not base64")
        }

        let certificate: X509Certificate
        switch signingCertificate(url: envelope.signingCertURL, fileName: fileName, now: now) {
        case .success(let found): certificate = found
        case .failure(let rejection): return rejection.outcome
        }
        guard certificate.verify(signature: Array(signature), message: envelope.stringToSign, digest: digest) else {
            return .unauthorized("sns: bad signature")
        }

        switch envelope.kind {
        case .subscriptionConfirmation:
            return .subscriptionConfirmation(subscribeURL: envelope.subscribeURL ?? "", topicArn: envelope.topicArn)
        case .unsubscribeConfirmation:
            return .events([])
        case .notification:
            return SESNotification.outcome(message: envelope.message, fallbackDate: sentAt)
        }
    }

    private func signingCertificate(url: String, fileName: String, now: Date) -> Result<X509Certificate, HookRejection> {
        if let certificateDirectory {
            let path = (certificateDirectory as NSString).appendingPathComponent(fileName)
            guard let contents = FileManager.default.contents(atPath: path) else {
                return .failure(.forbidden("sns: signing certificate file not found"))
            }
            guard let leaf = X509Certificate.parseAll(pem: Array(contents), limit: 1).first else {
                return .failure(.forbidden("sns: signing certificate file is not PEM"))
            }
            return .success(leaf)
        }
        guard let fetcher else {
            return .failure(HookRejection(status: 500, reason: "sns: no certificate directory or fetcher configured"))
        }
        if let chain = cache.chain(for: url, at: now), let leaf = chain.first {
            return .success(leaf)
        }
        guard let parsedURL = URL(string: url) else { return .failure(.forbidden("sns: SigningCertURL does not parse")) }
        let pem: [UInt8]
        do {
            pem = try fetcher.fetch(parsedURL)
        } catch {
            return .failure(HookRejection(status: 503, reason: "sns: signing certificate fetch failed"))
        }
        let chain = X509Certificate.parseAll(pem: pem)
        guard let leaf = chain.first else { return .failure(.forbidden("sns: fetched certificate is not PEM")) }
        guard X509Trust.verify(leaf: leaf, intermediates: Array(chain.dropFirst()), at: now, trustedCAFile: trustedCAFile) else {
            return .failure(.forbidden("sns: signing certificate is not trusted"))
        }
        cache.store(chain, for: url)
        return .success(leaf)
    }
}
