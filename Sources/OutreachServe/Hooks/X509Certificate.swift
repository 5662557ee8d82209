import COpenSSL
import Foundation

/// One X.509 certificate held by OpenSSL, freed with its owner.
///
/// It exists to give the SNS verifier what swift-crypto lacks: PEM certificate parsing,
/// validity dates, and RSA PKCS#1 v1.5 signature checks with SHA-1 or SHA-256.
/// Immutable after parsing; OpenSSL allows concurrent read-only use.
final class X509Certificate: @unchecked Sendable {
    /// The signature algorithms Amazon SNS uses (`SignatureVersion` 1 and 2).
    enum Digest: Sendable {
        case sha1, sha256
    }

    /// The `X509 *`, owned (freed in `deinit`).
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// Every certificate of a PEM document, in order (at most `limit`); empty when the
    /// first block does not parse.
    static func parseAll(pem: [UInt8], limit: Int = 8) -> [X509Certificate] {
        defer { ERR_clear_error() }
        guard !pem.isEmpty, pem.count <= HookLimits.maxBodyBytes else { return [] }
        return pem.withUnsafeBytes { buffer -> [X509Certificate] in
            guard let base = buffer.baseAddress,
                  let bio = BIO_new_mem_buf(base, Int32(buffer.count))
            else { return [] }
            defer { BIO_free(bio) }
            var certificates: [X509Certificate] = []
            while certificates.count < limit, let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(X509Certificate(pointer: x509))
            }
            return certificates
        }
    }

    /// Whether `date` lies within the certificate's notBefore…notAfter.
    func isValid(at date: Date) -> Bool {
        var t = EpochSeconds.timeT(date)
        guard let notBefore = X509_get0_notBefore(pointer), let notAfter = X509_get0_notAfter(pointer) else {
            return false
        }
        // X509_cmp_time: -1 when the certificate's time is at or before `t`, 1 after, 0 on error.
        return X509_cmp_time(notBefore, &t) == -1 && X509_cmp_time(notAfter, &t) == 1
    }

    /// Whether `signature` is the certificate key's signature of `message` under `digest`.
    func verify(signature: [UInt8], message: [UInt8], digest: Digest) -> Bool {
        defer { ERR_clear_error() }
        guard !signature.isEmpty, let key = X509_get0_pubkey(pointer), let context = EVP_MD_CTX_new() else {
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        let md = digest == .sha1 ? EVP_sha1() : EVP_sha256()
        guard EVP_DigestVerifyInit(context, nil, md, nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count) == 1
            }
        }
    }
}
