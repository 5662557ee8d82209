import ArgumentParser
import Foundation
import OutreachCore

/// The one place where errors become exit codes (sysexits) and a one-sentence message.
enum ExitStatus {
    /// The exit code of an error category.
    static func code(for category: OutreachError.Category) -> Int32 { category.exitCode }

    /// Runs a command body; any error is printed as `outreach: message` on stderr and turned
    /// into the documented exit code. No stack traces, ever.
    static func guarding(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as OutreachError {
            fail(error)
        } catch let error as ValidationError {
            fail(.usage(error.message))
        } catch {
            fail(.unexpected("Unexpected error: \(error). Please report it with the command you ran."))
        }
    }

    static func fail(_ error: OutreachError) -> Never {
        let status = code(for: error.category)
        Console.error(error.message, exitCode: status)
        exit(status)
    }
}
