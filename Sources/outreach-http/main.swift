// outreach-http: the HTTP transport's worker. `outreach` runs it once per live HTTP send, so
// the main binary does not link FoundationNetworking (and its libcurl chain of thirty shared
// libraries), which would slow every cron tick's start-up.
//
// Protocol: one JSON object on stdin — {"url", "headers": {name: value}, "body", "timeout_seconds"}
// — and one JSON object on stdout: {"status": Int, "body": String} when the server answered
// (exit 0), or {"error": String, "not_sent": Bool} when it did not (exit 75). `not_sent` is true
// only when the request provably never left (no connection could be opened: DNS failure,
// connection refused, TLS handshake failure); a timeout or a dropped connection after the
// request went out is ambiguous, and the caller must treat the message as possibly sent.
// Secrets arrive on stdin only, never in arguments or the environment.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

func reply(_ object: [String: Any], exitCode: Int32) -> Never {
    let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data)
    exit(exitCode)
}

let input = FileHandle.standardInput.readDataToEndOfFile()
guard let request = try? JSONSerialization.jsonObject(with: input) as? [String: Any],
      let urlText = request["url"] as? String, let url = URL(string: urlText),
      let body = request["body"] as? String
else { reply(["error": "outreach-http: the request on stdin is not valid"], exitCode: 64) }

let timeout = (request["timeout_seconds"] as? Double) ?? 30
var urlRequest = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
urlRequest.httpMethod = "POST"
for (name, value) in (request["headers"] as? [String: String]) ?? [:] { urlRequest.setValue(value, forHTTPHeaderField: name) }
urlRequest.httpBody = Data(body.utf8)

let configuration = URLSessionConfiguration.ephemeral
configuration.timeoutIntervalForRequest = timeout
configuration.timeoutIntervalForResource = timeout
let session = URLSession(configuration: configuration)
let done = DispatchSemaphore(value: 0)
nonisolated(unsafe) var result: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)
session.dataTask(with: urlRequest) { data, response, error in
    result = (data, response, error)
    done.signal()
}.resume()
guard done.wait(timeout: .now() + timeout + 2) == .success else {
    reply(["error": "no answer from \(url.host ?? "the server") within \(Int(timeout))s", "not_sent": false], exitCode: 75)
}
/// Errors that prove the request never reached the server.
let notSentCodes: Set<Int> = [
    NSURLErrorCannotFindHost, NSURLErrorCannotConnectToHost, NSURLErrorDNSLookupFailed, NSURLErrorNotConnectedToInternet,
    NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
    NSURLErrorServerCertificateNotYetValid, NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorClientCertificateRejected,
    NSURLErrorUnsupportedURL, NSURLErrorBadURL,
]
if let error = result.2 {
    let code = (error as NSError).code
    reply(["error": "request to \(url.host ?? "the server") failed: \(error.localizedDescription)", "not_sent": notSentCodes.contains(code)],
          exitCode: 75)
}
guard let response = result.1 as? HTTPURLResponse else {
    reply(["error": "no HTTP response from \(url.host ?? "the server")", "not_sent": false], exitCode: 75)
}
reply(["status": response.statusCode, "body": String(decoding: (result.0 ?? Data()).prefix(2000), as: UTF8.self)], exitCode: 0)
