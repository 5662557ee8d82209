import Foundation
import Testing
@testable import OutreachServe

/// A root CA, an intermediate CA, and two SNS signing certificates (one issued by the
/// root, one by the intermediate), made by the openssl CLI, valid from now for 30 days.
final class SNSChain: Sendable {
    static let shared = Result { try SNSChain() }

    let openssl: OpenSSLTool
    var rootFile: String { openssl.path("root.pem") }

    private init() throws {
        openssl = try OpenSSLTool()
        try openssl.certificateAuthority(name: "root", subject: "/CN=Outreach Test Root CA")
        try openssl.issued(name: "intermediate", subject: "/CN=Outreach Test Intermediate CA", issuer: "root", isCA: true, serial: 2)
        try openssl.issued(name: "leaf", subject: "/CN=sns.amazonaws.com", issuer: "root", isCA: false, serial: 3)
        try openssl.issued(name: "leaf2", subject: "/CN=sns.amazonaws.com", issuer: "intermediate", isCA: false, serial: 4)
    }

    func pem(_ names: String...) throws -> [UInt8] {
        try names.flatMap { try openssl.read("\($0).pem") }
    }
}

/// SNS with fetched signing certificates, which must chain to a trusted CA.
@Suite("SNS certificate chain")
struct SNSChainTests {
    let chain: SNSChain
    let signer: SNSSigner
    /// The real clock, read after the certificates were made (their notBefore is the
    /// moment openssl made them).
    let now: Date

    init() throws {
        chain = try SNSChain.shared.get()
        signer = try SNSSigner.shared.get()
        now = Date().addingTimeInterval(5)
    }

    func request(signedBy key: String, version: String = "2") throws -> HookRequest {
        var fields = SNSSigner.Fields()
        fields.message = SESMessages.complaint
        fields.signatureVersion = version
        fields.timestamp = "2024-05-02T00:54:06.655Z"
        return try SNSSigner.request(try signer.document(fields, keyFile: "\(key).key", tool: chain.openssl))
    }

    func hook(_ fetcher: StubFetcher, trusting caFile: String?) -> SNSHook {
        SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: nil, fetcher: fetcher, trustedCAFile: caFile)
    }

    @Test func leafIsRefusedWhenItsCAIsNotSystemTrusted() throws {
        let fetcher = StubFetcher(.success(try chain.pem("leaf")))
        let outcome = SNSHook(topicArns: [SNSSigner.topic], certificateDirectory: nil, fetcher: fetcher)
            .verify(try request(signedBy: "leaf"), now: now)
        #expect(outcome.status == 403)
        #expect(fetcher.callCount == 1)
    }

    @Test(arguments: ["1", "2"])
    func leafIsAcceptedWhenItsCAIsTrustedAndCached(version: String) throws {
        let fetcher = StubFetcher(.success(try chain.pem("leaf")))
        let hook = hook(fetcher, trusting: chain.rootFile)
        let request = try request(signedBy: "leaf", version: version)
        #expect(hook.verify(request, now: now).events?.first?.kind == .complaint)
        #expect(hook.verify(request, now: now).events?.count == 1)
        #expect(fetcher.callCount == 1)
    }

    @Test func intermediatesFromTheFetchedPEMCompleteTheChain() throws {
        let request = try request(signedBy: "leaf2")
        let withIntermediate = StubFetcher(.success(try chain.pem("leaf2", "intermediate")))
        #expect(hook(withIntermediate, trusting: chain.rootFile).verify(request, now: now).events?.count == 1)
        let leafOnly = StubFetcher(.success(try chain.pem("leaf2")))
        #expect(hook(leafOnly, trusting: chain.rootFile).verify(request, now: now).status == 403)
    }

    @Test func certificateOutsideItsValidityIsRefused() throws {
        let request = try request(signedBy: "leaf")
        let later = now.addingTimeInterval(40 * 86_400)
        #expect(hook(StubFetcher(.success(try chain.pem("leaf"))), trusting: chain.rootFile).verify(request, now: later).status == 403)
        let earlier = now.addingTimeInterval(-2 * 86_400)
        #expect(hook(StubFetcher(.success(try chain.pem("leaf"))), trusting: chain.rootFile).verify(request, now: earlier).status == 403)
    }

    @Test func cachedCertificateIsDroppedOnceExpired() throws {
        let fetcher = StubFetcher(.success(try chain.pem("leaf")))
        let hook = hook(fetcher, trusting: chain.rootFile)
        let request = try request(signedBy: "leaf")
        #expect(hook.verify(request, now: now).events?.count == 1)
        #expect(hook.verify(request, now: now.addingTimeInterval(40 * 86_400)).status == 403)
        #expect(fetcher.callCount == 2)
    }

    @Test func signatureByAnotherKeyThanTheTrustedLeafIs401() throws {
        let fetcher = StubFetcher(.success(try chain.pem("leaf")))
        #expect(hook(fetcher, trusting: chain.rootFile).verify(try request(signedBy: "leaf2"), now: now).status == 401)
    }

    @Test func selfSignedCertificateIsRefusedWhenFetched() throws {
        let selfSigned = try signer.openssl.read("\(SNSSigner.certificateName).pem")
        let fetcher = StubFetcher(.success(selfSigned))
        var fields = SNSSigner.Fields()
        fields.message = SESMessages.complaint
        let request = try SNSSigner.request(try signer.document(fields))
        #expect(hook(fetcher, trusting: chain.rootFile).verify(request, now: now).status == 403)
    }

    @Test func fetchFailureIs503AndGarbageIs403() throws {
        let request = try request(signedBy: "leaf")
        #expect(hook(StubFetcher(.failure(FetchFailed())), trusting: chain.rootFile).verify(request, now: now).status == 503)
        #expect(hook(StubFetcher(.success(bytes("<html>not a certificate</html>"))), trusting: chain.rootFile).verify(request, now: now).status == 403)
        #expect(hook(StubFetcher(.success([])), trusting: chain.rootFile).verify(request, now: now).status == 403)
    }
}
