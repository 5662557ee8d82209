import Foundation

/// Downloads an Amazon SNS signing certificate (PEM bytes) for `SNSHook`.
///
/// It exists so this module needs no HTTP client (no FoundationNetworking): the caller
/// implements it, over HTTPS with normal server-certificate checks, with a short timeout
/// and a size cap. `SNSHook` calls it only for URLs that passed `SNSURLCheck`, and then
/// checks the returned certificate's chain itself. Errors thrown become a 503.
public protocol CertificateFetcher: Sendable {
    func fetch(_ url: URL) throws -> [UInt8]
}
