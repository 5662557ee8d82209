import Foundation

/// Where `--db` (or `OUTREACH_DB`) points: a SQLite file, or a PostgreSQL database
/// (`postgres://user@host:port/dbname` or `postgresql://…`, SPEC §13).
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Reads a `--db` value; refuses a PostgreSQL URL that carries a password, which would
    /// show in `ps`, shell history and cron mail (exit 64).
    public init(_ text: String) throws {
        let lower = text.lowercased()
        guard lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") else {
            self = .sqlite(path: text)
            return
        }
        let rest = text[text.index(text.firstIndex(of: ":")!, offsetBy: 3)...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
            throw OutreachError.usage(
                "The --db URL contains a password; remove it and put the password in PGPASSWORD or ~/.pgpass, so it never shows in the process list or logs.")
        }
        self = .postgres(url: text)
    }

    /// How messages name the database (a URL without a password is safe to show).
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }

    public var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}
