import Foundation
import GRDB

/// The one error type of the core: a short sentence for the operator plus the category
/// that the command line maps to an exit code (in exactly one place, `ExitStatus`).
///
/// Messages name the file, line, key or record at fault and say what to do. Partial
/// outcomes of a tick (skipped leads, failed sends) are values in the tick report, never
/// errors.
public struct OutreachError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; each maps to one sysexits code.
    public enum Category: Sendable, Equatable {
        /// The command was used wrongly (64).
        case usage
        /// Input data is invalid: a CSV row, an event, an unknown campaign (65).
        case badInput
        /// An input file does not exist or cannot be read (66).
        case inputMissing
        /// An output file or folder cannot be created (73).
        case cannotCreateOutput
        /// The database or the file system failed (74).
        case io
        /// Try again later: a lease is held elsewhere or the database stayed busy (75).
        case temporary
        /// Configuration: campaign file, database schema, approval, missing secret (78).
        case configuration
        /// A proof check found a violation in the database (70, EX_SOFTWARE).
        case proofViolation
        /// A bug: something the code did not expect (1).
        case unexpected
    }

    public let category: Category
    public let message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    public var description: String { message }

    public static func usage(_ message: String) -> Self { .init(.usage, message) }
    public static func badInput(_ message: String) -> Self { .init(.badInput, message) }
    public static func inputMissing(_ message: String) -> Self { .init(.inputMissing, message) }
    public static func cannotCreateOutput(_ message: String) -> Self { .init(.cannotCreateOutput, message) }
    public static func io(_ message: String) -> Self { .init(.io, message) }
    public static func temporary(_ message: String) -> Self { .init(.temporary, message) }
    public static func configuration(_ message: String) -> Self { .init(.configuration, message) }
    public static func proofViolation(_ message: String) -> Self { .init(.proofViolation, message) }
    public static func unexpected(_ message: String) -> Self { .init(.unexpected, message) }

    /// Wraps a database or file error into an `OutreachError` with context, so a user never
    /// sees a raw SQLite message without knowing what was being done.
    public static func wrap(_ error: any Error, while doing: String) -> OutreachError {
        if let error = error as? OutreachError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .temporary(
                    "The database stayed busy while \(doing) (another process held it past the busy timeout); try again.")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .configuration("The database file is not a usable SQLite database (\(error.message ?? "corrupt")) while \(doing); check --db.")
            case .SQLITE_FULL:
                return .io("The disk is full while \(doing); free space and try again.")
            case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM:
                return .io("Cannot read or write the database while \(doing) (\(error.message ?? "I/O error")); check the path and its permissions.")
            default:
                return .io("Database error while \(doing): \(error.message ?? "\(error.resultCode)").")
            }
        }
        if let error = error as? PostgresError {
            return wrap(postgres: error, while: doing)
        }
        if let error = error as? CocoaError {
            return .io("File error while \(doing): \(error.localizedDescription).")
        }
        return .unexpected("Unexpected error while \(doing): \(error).")
    }
}

extension OutreachError {
    /// PostgreSQL's errors by SQLSTATE class, mapped as the SQLite ones are.
    static func wrap(postgres error: PostgresError, while doing: String) -> OutreachError {
        let state = error.sqlState
        switch state {
        case "40001", "40P01", "55P03", "57014", "25P03":
            return .temporary(
                "The database stayed busy while \(doing) (\(error.message)); try again.")
        case "28000", "28P01", "3D000", "42501":
            return .configuration("PostgreSQL refused \(doing): \(error.message); check --db, PGPASSWORD or ~/.pgpass, and the database's permissions.")
        default:
            if state.hasPrefix("08") || state.hasPrefix("57P") {
                return .temporary("Cannot reach PostgreSQL while \(doing): \(error.message); try again when the server is back.")
            }
            if state.hasPrefix("53") {
                return .io("The database server is out of resources while \(doing): \(error.message).")
            }
            return .io("Database error while \(doing): \(error.message) (SQLSTATE \(state)).")
        }
    }
}

extension OutreachError.Category {
    /// The exit code (sysexits) of errors of this category: the one mapping, used by
    /// `outreach` and `outreach-serve`.
    public var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .badInput: 65
        case .inputMissing: 66
        case .cannotCreateOutput: 73
        case .io: 74
        case .temporary: 75
        case .configuration: 78
        case .proofViolation: 70
        case .unexpected: 1
        }
    }
}
