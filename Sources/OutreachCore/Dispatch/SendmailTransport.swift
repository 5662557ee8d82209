import Foundation

/// Pipes each RFC 5322 message to a sendmail-compatible command (`/usr/sbin/sendmail -t -oi`,
/// `msmtp -t`, …).
///
/// Exit 0 is sent; 75 (EX_TEMPFAIL) is transient; 67 (EX_NOUSER) is a permanent failure that
/// also suppresses the address; anything else is permanent. The command's stderr, trimmed,
/// becomes the job's error. A command that cannot be started or that outlives its timeout is
/// transient: a broken mail setup must open the circuit breaker, not fail every lead. The
/// child does not inherit the campaign's secret variables.
public struct SendmailTransport: Transport {
    public let command: [String]
    public let timeoutSeconds: Int
    private let hiddenVariables: Set<String>

    public init(command: [String], timeoutSeconds: Int, hiddenVariables: Set<String> = []) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.hiddenVariables = hiddenVariables
    }

    public var breakerKey: String { "sendmail:\(command.first ?? "")" }

    public func send(_ message: OutgoingMessage) -> SendOutcome {
        guard let executable = resolveExecutable() else {
            return .transient("cannot find the command \(command.first ?? "") (check transport.command and PATH)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.filter { !hiddenVariables.contains($0.key) }
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            return .transient("cannot start \(executable): \(error.localizedDescription)")
        }
        let collected = ErrorCollector(errors.fileHandleForReading)
        do {
            try input.fileHandleForWriting.write(contentsOf: Data(RFC5322.render(message).utf8))
        } catch {
            // The command stopped reading; its exit status tells why.
        }
        try? input.fileHandleForWriting.close()
        if finished.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut {
            process.terminate()
            _ = finished.wait(timeout: .now() + .seconds(2))
            return .transient("\(executable) did not finish within \(timeoutSeconds)s")
        }
        let stderrText = collected.text()
        let detail = stderrText.isEmpty ? "" : ": \(stderrText)"
        switch process.terminationStatus {
        case 0: return .sent
        case 75: return .transient("\(executable) exited 75 (temporary failure)\(detail)")
        case 67: return .permanent("\(executable) exited 67 (addressee unknown)\(detail)", invalidRecipient: true)
        default:
            if process.terminationReason == .uncaughtSignal {
                return .transient("\(executable) was killed by signal \(process.terminationStatus)\(detail)")
            }
            return .permanent("\(executable) exited \(process.terminationStatus)\(detail)", invalidRecipient: false)
        }
    }

    private func resolveExecutable() -> String? {
        guard let name = command.first, !name.isEmpty else { return nil }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Reads a child's stderr on a background queue (so a chatty child never blocks on a full
/// pipe) and hands back at most 500 characters of it, on one line.
private final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func text() -> String {
        _ = done.wait(timeout: .now() + .seconds(2))
        let text = String(decoding: data, as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return text.count > 500 ? String(text.prefix(497)) + "..." : text
    }
}
