/// One HTTP request as the server received it, handed to a verifier.
///
/// It exists so the verifiers stay independent of any HTTP server library: the caller
/// copies the headers (names lowercased) and the raw body bytes (at most 64 KiB; a
/// verifier answers 400 for more) into this value.
public struct HookRequest: Sendable {
    /// Header values by lowercased header name.
    public var headers: [String: String]
    /// The raw request body, exactly as received: signatures cover these bytes.
    public var body: [UInt8]

    public init(headers: [String: String], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }

    /// The value of a header; `name` is lowercased before the look-up.
    func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
