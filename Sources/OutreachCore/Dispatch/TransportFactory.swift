import Foundation

/// Builds the transport a campaign file names, reading its secret from the environment.
public enum TransportFactory {
    /// `environment` is this process's; `forbidden` the variables no child may see (every
    /// campaign's secrets, see `secretVariables`).
    public static func make(_ settings: Campaign.TransportSettings, secrets: SecretEnvironment,
                            environment: [String: String], forbidden: Set<String>) throws -> any Transport {
        switch settings {
        case .proof:
            return ProofTransport()
        case .sendmail(let command, let timeout, let extra):
            return SendmailTransport(command: command, timeoutSeconds: timeout,
                                     environment: ChildEnvironment.make(from: environment, extra: extra, forbidden: forbidden))
        case .http(let url, let tokenEnv, let timeout, let window):
            guard let parsed = URL(string: url) else {
                throw OutreachError.configuration("transport.url '\(url)' is not a URL; fix the campaign file.")
            }
            let token = try tokenEnv.map { try secrets.require($0, for: "the http transport's bearer token") }
            return HTTPTransport(url: parsed, token: token, timeoutSeconds: timeout, idempotencyWindowSeconds: window)
        }
    }

    /// The environment variables a campaign names as secrets (kept from every child process).
    public static func secretVariables(of campaign: Campaign) -> Set<String> {
        var names = Set<String>()
        if let name = campaign.unsubscribe.secretEnv { names.insert(name) }
        if let name = campaign.unsubscribe.previousSecretEnv { names.insert(name) }
        if case .http(_, let tokenEnv?, _, _) = campaign.transport { names.insert(tokenEnv) }
        return names
    }
}
