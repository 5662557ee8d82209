import Foundation

/// PostgreSQL's C client library (libpq), loaded when a `postgres://` database is first
/// opened, not at start-up.
///
/// Linking libpq would make every invocation load it and the dozen libraries it depends on
/// (TLS, Kerberos, LDAP), a start-up cost the SQLite tick, run every five minutes, would pay
/// for nothing; and a host that only uses SQLite would need libpq installed. So the
/// functions outreach uses are looked up with `dlsym` in `libpq.so.5` (Debian: `libpq5`).
struct LibPQ: @unchecked Sendable {
    typealias Conn = OpaquePointer
    typealias Result = OpaquePointer

    let connectdb: @convention(c) (UnsafePointer<CChar>) -> Conn?
    let status: @convention(c) (Conn) -> Int32
    let errorMessage: @convention(c) (Conn) -> UnsafePointer<CChar>?
    let finish: @convention(c) (Conn) -> Void
    let exec: @convention(c) (Conn, UnsafePointer<CChar>) -> Result?
    let prepare: @convention(c) (Conn, UnsafePointer<CChar>, UnsafePointer<CChar>, Int32, UnsafePointer<UInt32>?) -> Result?
    let sendQueryPrepared: @convention(c) (Conn, UnsafePointer<CChar>, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                           UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Int32
    let setSingleRowMode: @convention(c) (Conn) -> Int32
    let getResult: @convention(c) (Conn) -> Result?
    let resultStatus: @convention(c) (Result) -> Int32
    let resultErrorMessage: @convention(c) (Result) -> UnsafePointer<CChar>?
    let resultErrorField: @convention(c) (Result, Int32) -> UnsafePointer<CChar>?
    let ntuples: @convention(c) (Result) -> Int32
    let nfields: @convention(c) (Result) -> Int32
    let fname: @convention(c) (Result, Int32) -> UnsafePointer<CChar>?
    let getvalue: @convention(c) (Result, Int32, Int32) -> UnsafePointer<UInt8>?
    let getlength: @convention(c) (Result, Int32, Int32) -> Int32
    let getisnull: @convention(c) (Result, Int32, Int32) -> Int32
    let cmdTuples: @convention(c) (Result) -> UnsafePointer<CChar>?
    let clear: @convention(c) (Result) -> Void
    let setNoticeProcessor: @convention(c) (Conn, (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void)?,
                                            UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?

    /// `PGRES_COMMAND_OK`, `PGRES_TUPLES_OK`: the statuses of a result that succeeded.
    static let commandOK: Int32 = 1
    static let tuplesOK: Int32 = 2
    /// `PGRES_SINGLE_TUPLE`: one row of a result read in single-row mode.
    static let singleTuple: Int32 = 9
    /// `CONNECTION_OK`.
    static let connectionOK: Int32 = 0
    /// `PG_DIAG_SQLSTATE`.
    static let sqlStateField = Int32(UInt8(ascii: "C"))

    /// The library, loaded on first use; nil when it is not installed.
    static let loaded: LibPQ? = load()

    /// The library, for code that runs only once a connection exists (so it is loaded).
    static var api: LibPQ { loaded! }

    private static func load() -> LibPQ? {
        guard let handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libpq.so", RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, _: T.Type = T.self) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let connectdb = symbol("PQconnectdb", (@convention(c) (UnsafePointer<CChar>) -> Conn?).self),
              let status = symbol("PQstatus", (@convention(c) (Conn) -> Int32).self),
              let errorMessage = symbol("PQerrorMessage", (@convention(c) (Conn) -> UnsafePointer<CChar>?).self),
              let finish = symbol("PQfinish", (@convention(c) (Conn) -> Void).self),
              let exec = symbol("PQexec", (@convention(c) (Conn, UnsafePointer<CChar>) -> Result?).self),
              let prepare = symbol("PQprepare", (@convention(c) (Conn, UnsafePointer<CChar>, UnsafePointer<CChar>, Int32,
                                                                  UnsafePointer<UInt32>?) -> Result?).self),
              let sendQueryPrepared = symbol("PQsendQueryPrepared", (@convention(c) (Conn, UnsafePointer<CChar>, Int32,
                                                                                     UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                                                                                     UnsafePointer<Int32>?, Int32) -> Int32).self),
              let setSingleRowMode = symbol("PQsetSingleRowMode", (@convention(c) (Conn) -> Int32).self),
              let getResult = symbol("PQgetResult", (@convention(c) (Conn) -> Result?).self),
              let resultStatus = symbol("PQresultStatus", (@convention(c) (Result) -> Int32).self),
              let resultErrorMessage = symbol("PQresultErrorMessage", (@convention(c) (Result) -> UnsafePointer<CChar>?).self),
              let resultErrorField = symbol("PQresultErrorField", (@convention(c) (Result, Int32) -> UnsafePointer<CChar>?).self),
              let ntuples = symbol("PQntuples", (@convention(c) (Result) -> Int32).self),
              let nfields = symbol("PQnfields", (@convention(c) (Result) -> Int32).self),
              let fname = symbol("PQfname", (@convention(c) (Result, Int32) -> UnsafePointer<CChar>?).self),
              let getvalue = symbol("PQgetvalue", (@convention(c) (Result, Int32, Int32) -> UnsafePointer<UInt8>?).self),
              let getlength = symbol("PQgetlength", (@convention(c) (Result, Int32, Int32) -> Int32).self),
              let getisnull = symbol("PQgetisnull", (@convention(c) (Result, Int32, Int32) -> Int32).self),
              let cmdTuples = symbol("PQcmdTuples", (@convention(c) (Result) -> UnsafePointer<CChar>?).self),
              let clear = symbol("PQclear", (@convention(c) (Result) -> Void).self),
              let setNoticeProcessor = symbol("PQsetNoticeProcessor", (@convention(c) (Conn, (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void)?, UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?).self)
        else { return nil }
        return LibPQ(connectdb: connectdb, status: status, errorMessage: errorMessage, finish: finish, exec: exec, prepare: prepare,
                     sendQueryPrepared: sendQueryPrepared, setSingleRowMode: setSingleRowMode,
                     getResult: getResult, resultStatus: resultStatus, resultErrorMessage: resultErrorMessage,
                     resultErrorField: resultErrorField, ntuples: ntuples, nfields: nfields, fname: fname, getvalue: getvalue,
                     getlength: getlength, getisnull: getisnull, cmdTuples: cmdTuples, clear: clear,
                     setNoticeProcessor: setNoticeProcessor)
    }
}
