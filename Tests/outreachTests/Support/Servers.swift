import Foundation

/// Test fixtures shipped with the tests.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var fakeSendmail: String { folder.appendingPathComponent("fake-sendmail").path }
    static var httpStub: String { folder.appendingPathComponent("http_stub.py").path }
}

/// A server process the test started on 127.0.0.1 and stops when released.
final class LocalServer: @unchecked Sendable {
    let process: Process
    let port: Int

    init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    deinit {
        // SIGKILL: aiosmtpd ignores SIGTERM while serving.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The scripted HTTP API (`http_stub.py`), answering per `script`, logging to `log`.
    static func http(in directory: URL, script: [String]) throws -> (LocalServer, log: String) {
        let portFile = directory.appendingPathComponent("http.port").path
        let log = directory.appendingPathComponent("http.log").path
        let scriptFile = directory.appendingPathComponent("http.script").path
        try script.joined(separator: "\n").write(toFile: scriptFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixtures.httpStub, portFile, log, scriptFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let port = try waitFor { (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) } }
        return (LocalServer(process: process, port: port), log)
    }

    /// A real SMTP server (aiosmtpd) delivering into a Maildir, or nil when aiosmtpd is not
    /// installed (Debian package python3-aiosmtpd).
    /// True when python3 can import aiosmtpd (for `.enabled(if:)`).
    static let hasAiosmtpd: Bool = FileManager.default.fileExists(atPath: "/usr/bin/python3")
        && (try? run("/usr/bin/python3", ["-c", "import aiosmtpd"])) == 0

    static func smtp(maildir: String) throws -> LocalServer? {
        guard hasAiosmtpd else { return nil }
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", maildir]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if (try? waitFor(seconds: 5, { canConnect(port: port) ? true : nil })) != nil {
                return LocalServer(process: process, port: port)
            }
            process.terminate()
        }
        return nil
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Polls `probe` every 50 ms until it returns a value (bounded: `seconds`).
func waitFor<T>(seconds: Double = 10, _ probe: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = try probe() { return value }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw CLIFailure(description: "timed out after \(seconds)s")
}

/// Runs a program and returns its exit status.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
    try runProcess(executable, arguments).status
}
