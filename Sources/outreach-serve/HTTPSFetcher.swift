import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutreachServe

/// GETs an https URL with the system's trusted CAs (SNS signing certificates and
/// subscription confirmations), within 10 seconds and 64 KiB.
struct HTTPSFetcher: CertificateFetcher {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fetch(_ url: URL) throws -> [UInt8] {
        guard url.scheme == "https" else { throw Failure(description: "only https URLs are fetched") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 10
        let session = URLSession(configuration: configuration)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)
        session.dataTask(with: URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)) { data, response, error in
            result = (data, response, error)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 12) == .success else { throw Failure(description: "no answer from \(url.host ?? "the server") within 10s") }
        if let error = result.2 { throw Failure(description: "fetching from \(url.host ?? "the server") failed: \(error.localizedDescription)") }
        guard let response = result.1 as? HTTPURLResponse, response.statusCode == 200, let data = result.0, data.count <= 65_536 else {
            throw Failure(description: "\(url.host ?? "the server") did not answer 200 with a small body")
        }
        return Array(data)
    }
}
