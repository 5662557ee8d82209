import Foundation

/// Runs a Python 3 script (the standard library's csv, email, json) as an independent reader
/// of what outreach wrote. Returns stdout; throws with stderr when the script fails.
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let result = try runProcess("/usr/bin/env", ["python3", "-c", script] + arguments)
    guard result.status == 0 else { throw CLIFailure(description: "python failed: \(result.stderr)") }
    return result.stdout
}
