import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running `outreach serve` of a CLI's folder on a free loopback port (`--listen
/// 127.0.0.1:0`; the port is read from its start-up log line), stopped with SIGKILL.
final class ServeProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let logPath: String

    var base: String { "http://127.0.0.1:\(port)" }

    init(_ cli: CLI, arguments extra: [String] = [], environment: [String: String] = [:]) throws {
        logPath = cli.path("serve-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + extra
        process.currentDirectoryURL = cli.directory
        process.environment = cli.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let path = logPath
        let running = process
        port = try waitFor(seconds: 30) { () -> Int? in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if !running.isRunning { throw CLIFailure(description: "outreach serve exited \(running.terminationStatus): \(text)") }
            guard let range = text.range(of: "address=127.0.0.1:") else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// What the server logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { stop() } }
}

/// One answer as curl saw it.
struct CurlAnswer {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    let body: String
}

/// Runs the real `curl` against the server: `arguments` go before the URL.
func curl(_ url: String, _ arguments: [String] = [], in directory: URL) throws -> CurlAnswer {
    let id = UUID().uuidString.prefix(8)
    let bodyPath = directory.appendingPathComponent("curl-\(id).body").path
    let headerPath = directory.appendingPathComponent("curl-\(id).headers").path
    let result = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "30", "-o", bodyPath, "-D", headerPath, "-w", "%{http_code}"]
                                + arguments + [url])
    let headerText = (try? String(contentsOfFile: headerPath, encoding: .utf8)) ?? ""
    var headers: [String: String] = [:]
    // The last response's headers (after a possible `100 Continue`).
    for block in headerText.components(separatedBy: "\r\n\r\n") where block.hasPrefix("HTTP/") {
        headers = [:]
        for line in block.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
    let body = (try? String(contentsOfFile: bodyPath, encoding: .utf8)) ?? ""
    return CurlAnswer(status: Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, headers: headers, body: body)
}
