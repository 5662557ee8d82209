import Foundation

/// How outreach uses a PostgreSQL session: the connection parameters and session settings,
/// and the row lock that serializes writers.
enum PostgresSettings {
    /// The connection string: the operator's URL plus a connect timeout and an application
    /// name (shown in `pg_stat_activity`), unless the URL sets them.
    static func conninfo(_ url: String) -> String {
        var parameters: [String] = []
        if !url.contains("connect_timeout=") { parameters.append("connect_timeout=10") }
        if !url.contains("application_name=") { parameters.append("application_name=outreach") }
        guard !parameters.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + parameters.joined(separator: "&")
    }

    /// Session settings.
    /// - `lock_timeout`: how long a writer waits for the write lock (then exit 75, as SQLite's
    ///   busy timeout); longer than the idle timeout, so waiters outlive a stalled holder.
    /// - `idle_in_transaction_session_timeout`: outreach never waits on anything outside the
    ///   database inside a transaction, so a session idle in one for 10 s belongs to a process
    ///   that was stopped or hung; the server ends it and its locks go with it.
    /// - UTC and ISO dates, so nothing depends on the server's locale.
    static let session = """
        SET lock_timeout = '30s';
        SET idle_in_transaction_session_timeout = '10s';
        SET TIME ZONE 'UTC';
        SET DateStyle = 'ISO, YMD';
        SET client_min_messages = 'warning'
        """

    /// Taken first by every write transaction and held until it ends: writers queue here (in
    /// arrival order), as SQLite's writers queue on the file's write lock.
    static let writeLock = "SELECT value FROM commit_sequence WHERE id = 1 FOR UPDATE"
}
