import Foundation

/// Pipes each RFC 5322 message to a sendmail-compatible command (`/usr/sbin/sendmail -t -oi`,
/// `msmtp -t`, …).
///
/// Outcomes (SPEC §7 as amended by §9.1), by what the command proves:
/// - exit 0: sent.
/// - the command could not be started, or exited 75 (EX_TEMPFAIL): the message was not
///   accepted: transient, retried with backoff.
/// - exit 67 (EX_NOUSER): permanent, and the address is suppressed; other exits: permanent.
/// - it outlived its timeout, was killed by a signal, or its status could not be read: it
///   may or may not have queued the message: `unknown`, never re-sent automatically.
///
/// The command's stderr, trimmed, becomes the job's error. It runs with the allow-listed
/// environment of `ChildEnvironment` and is judged by its own exit status (a background
/// delivery it leaves behind is not waited for).
public struct SendmailTransport: Transport {
    public let command: [String]
    public let timeoutSeconds: Int
    private let environment: [String: String]

    /// `environment` is what the child sees (see `ChildEnvironment.make`).
    public init(command: [String], timeoutSeconds: Int, environment: [String: String]) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.environment = environment
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
                environment: environment, timeout: .seconds(timeoutSeconds))
        } catch {
            return .transient("cannot start \(executable): \(error.reason)")
        }
        let detail = result.errors.isEmpty ? "" : ": \(result.errors)"
        switch result.ending {
        case .timedOut:
            return .unknown("\(executable) did not finish within \(timeoutSeconds)s and was killed; it may have queued the message\(detail)")
        case .signaled(let signal):
            return .unknown("\(executable) was killed by signal \(signal); it may have queued the message\(detail)")
        case .unreadable(let reason):
            return .unknown("the exit status of \(executable) could not be read (\(reason)); it may have queued the message")
        case .exited(0):
            return .sent
        case .exited(75):
            return .transient("\(executable) exited 75 (temporary failure)\(detail)")
        case .exited(67):
            return .permanent("\(executable) exited 67 (addressee unknown)\(detail)", invalidRecipient: true)
        case .exited(let status):
            return .permanent("\(executable) exited \(status)\(detail)", invalidRecipient: false)
        }
    }

    private func resolveExecutable() -> String? {
        guard let name = command.first, !name.isEmpty else { return nil }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
