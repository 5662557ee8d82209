import Foundation

/// Runs a helper program for a transport (a sendmail command, the HTTP worker): writes its
/// standard input, collects its output and errors on background queues (so a chatty child
/// never blocks on a full pipe), and kills it when it outlives its timeout.
enum ChildProcess {
    /// What the child did.
    struct Result {
        var status: Int32
        var killedBySignal: Bool
        var timedOut: Bool
        var output: Data
        /// At most 500 characters of stderr, on one line.
        var errors: String
    }

    static func run(_ executable: String, _ arguments: [String], input: Data, environment: [String: String],
                    timeoutSeconds: Int) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let output = PipeCollector(stdout.fileHandleForReading)
        let errors = PipeCollector(stderr.fileHandleForReading)
        // A child that stops reading early makes this write fail; its exit status says why.
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        var timedOut = false
        if finished.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + .seconds(2)) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = finished.wait(timeout: .now() + .seconds(2))
            }
        }
        let text = String(decoding: errors.data(), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return Result(status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
                      timedOut: timedOut, output: output.data(), errors: text.count > 500 ? String(text.prefix(497)) + "..." : text)
    }
}

/// Reads a pipe to its end on a background queue.
private final class PipeCollector: @unchecked Sendable {
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.collected = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func data() -> Data {
        _ = done.wait(timeout: .now() + .seconds(2))
        return collected
    }
}
