import Foundation

/// The environment a transport's child process gets (SPEC §9.3): an allow-list, never the
/// whole environment of the tick.
///
/// A sendmail command needs a PATH, a HOME (msmtp reads `~/.msmtprc`), the locale and the
/// zone; anything else it needs the campaign names in `transport.env`. Variables that any
/// campaign names as a secret (`unsubscribe.secret_env`, `transport.token_env`) and every
/// `OUTREACH_*` variable never reach a child, even when listed.
public enum ChildEnvironment {
    /// The names every child may see.
    public static let allowed: Set<String> = ["PATH", "HOME", "LANG", "TZ", "USER", "LOGNAME", "TMPDIR"]

    /// The child's environment, from this process's `environment`.
    public static func make(from environment: [String: String], extra: [String], forbidden: Set<String>) -> [String: String] {
        let extraNames = Set(extra)
        return environment.filter { name, _ in
            guard !forbidden.contains(name), !name.hasPrefix("OUTREACH_") else { return false }
            return allowed.contains(name) || name.hasPrefix("LC_") || extraNames.contains(name)
        }
    }
}
