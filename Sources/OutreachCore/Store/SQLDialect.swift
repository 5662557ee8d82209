/// The SQL dialect of a database: outreach speaks SQLite (the embedded default) and
/// PostgreSQL (for many hosts, SPEC §13). Queries are written once in the subset both
/// understand; the few places that differ switch on this.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

extension SQLDialect {
    /// The larger of two values (SQLite's two-argument `max`, PostgreSQL's `GREATEST`).
    func greatest(_ a: String, _ b: String) -> String {
        self == .sqlite ? "max(\(a), \(b))" : "GREATEST(\(a), \(b))"
    }

    /// The smaller of two values.
    func least(_ a: String, _ b: String) -> String {
        self == .sqlite ? "min(\(a), \(b))" : "LEAST(\(a), \(b))"
    }

    /// Whole days from the date `from` to the date `to` (both 'YYYY-MM-DD' text).
    func daysBetween(_ from: String, _ to: String) -> String {
        self == .sqlite
            ? "CAST(julianday(\(to)) - julianday(\(from)) AS INTEGER)"
            : "(CAST(\(to) AS DATE) - CAST(\(from) AS DATE))"
    }
}
