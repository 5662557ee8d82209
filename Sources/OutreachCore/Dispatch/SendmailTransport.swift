import Foundation

/// Pipes each RFC 5322 message to a sendmail-compatible command (`/usr/sbin/sendmail -t -oi`,
/// `msmtp -t`, …).
///
/// Exit 0 is sent; 75 (EX_TEMPFAIL) is transient; 67 (EX_NOUSER) is a permanent failure that
/// also suppresses the address; anything else is permanent. The command's stderr, trimmed,
/// becomes the job's error. A command that cannot be started, is killed, or outlives its
/// timeout is transient: a broken mail setup must open the circuit breaker, not fail every
/// lead. The child does not inherit the campaign's secret variables.
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
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(
                executable, Array(command.dropFirst()), input: Data(RFC5322.render(message).utf8),
                environment: ProcessInfo.processInfo.environment.filter { !hiddenVariables.contains($0.key) },
                timeoutSeconds: timeoutSeconds)
        } catch {
            return .transient("cannot start \(executable): \(error.localizedDescription)")
        }
        if result.timedOut { return .transient("\(executable) did not finish within \(timeoutSeconds)s") }
        let detail = result.errors.isEmpty ? "" : ": \(result.errors)"
        if result.killedBySignal { return .transient("\(executable) was killed by signal \(result.status)\(detail)") }
        switch result.status {
        case 0: return .sent
        case 75: return .transient("\(executable) exited 75 (temporary failure)\(detail)")
        case 67: return .permanent("\(executable) exited 67 (addressee unknown)\(detail)", invalidRecipient: true)
        default: return .permanent("\(executable) exited \(result.status)\(detail)", invalidRecipient: false)
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
