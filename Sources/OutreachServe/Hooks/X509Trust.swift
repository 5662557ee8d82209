import COpenSSL
import Foundation

/// Checks that a certificate chains to a trusted certificate authority at a given time.
///
/// It exists because a fetched SNS signing certificate is only as good as its issuer:
/// the leaf must chain (through the untrusted intermediates sent with it) to the
/// system's CA store, or to `trustedCAFile` when one is given (tests), and every
/// certificate must be within its validity dates at `date`. Purpose is not restricted.
enum X509Trust {
    static func verify(leaf: X509Certificate, intermediates: [X509Certificate], at date: Date, trustedCAFile: String?) -> Bool {
        defer { ERR_clear_error() }
        guard let store = X509_STORE_new() else { return false }
        defer { X509_STORE_free(store) }
        if let trustedCAFile {
            guard X509_STORE_load_file(store, trustedCAFile) == 1 else { return false }
        } else {
            guard X509_STORE_set_default_paths(store) == 1 else { return false }
        }

        guard let chain = outreach_sk_X509_new_null() else { return false }
        defer { outreach_sk_X509_pop_free(chain) }
        for certificate in intermediates {
            guard X509_up_ref(certificate.pointer) == 1 else { return false }
            guard outreach_sk_X509_push(chain, certificate.pointer) > 0 else {
                X509_free(certificate.pointer)
                return false
            }
        }

        guard let context = X509_STORE_CTX_new() else { return false }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, chain) == 1,
              X509_STORE_CTX_set_purpose(context, X509_PURPOSE_ANY) == 1,
              let parameters = X509_STORE_CTX_get0_param(context)
        else { return false }
        X509_VERIFY_PARAM_set_time(parameters, EpochSeconds.timeT(date))
        return X509_verify_cert(context) == 1
    }
}
