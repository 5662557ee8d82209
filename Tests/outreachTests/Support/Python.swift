import Foundation

/// Runs a Python 3 script (the standard library's csv, email, json) as an independent reader
/// of what outreach wrote. Returns stdout; throws with stderr when the script fails.
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = DataBox()
    output.read(out.fileHandleForReading)
    let errors = DataBox()
    errors.read(err.fileHandleForReading)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CLIFailure(description: "python failed: \(errors.text())") }
    return output.text()
}
