/// The process environment as the core sees it: only for secrets named by the campaign file
/// (`token_env`, `secret_env`). Injected so tests never touch the real environment and so
/// the one place that reads secrets is easy to audit.
public struct SecretEnvironment: Sendable {
    private let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The value of a variable, or nil when it is unset or empty.
    public func value(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The value of a variable the campaign needs, or a configuration error saying which.
    public func require(_ name: String, for purpose: String) throws -> String {
        guard let value = value(name) else {
            throw OutreachError.configuration(
                "The environment variable \(name) is not set; \(purpose) needs it. Export it and run again.")
        }
        return value
    }
}
