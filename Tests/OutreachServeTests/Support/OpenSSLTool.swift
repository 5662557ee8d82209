import Foundation

/// Runs the real `openssl` command-line tool in a private temporary folder, so the tests
/// sign with an implementation independent of the code under test.
final class OpenSSLTool: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let directory: URL
    private let executable: URL

    /// One folder per test process, removed at exit: the shared fixtures live as long as
    /// the process, so their own `deinit` never runs.
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("outreach-hooks-tests-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: OpenSSLTool.root) }
        return root
    }()

    init() throws {
        let base = Self.root.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        directory = base
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ URL(fileURLWithPath: String($0)).appendingPathComponent("openssl") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else { throw Failure(description: "openssl not found on PATH") }
        executable = found
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `openssl arguments…` in `directory`, feeding `input`; returns standard output.
    @discardableResult
    func run(_ arguments: [String], input: [UInt8] = []) throws -> [UInt8] {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
        }
        return Array(output)
    }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Signs `message` with the PEM private key in `keyFile`: DER output (ECDSA) or
    /// PKCS#1 v1.5 (RSA), as `openssl dgst -sign` writes it.
    func sign(_ message: [UInt8], keyFile: String, digest: String) throws -> [UInt8] {
        let name = "msg-\(UUID().uuidString)"
        try write(name, message)
        defer { try? FileManager.default.removeItem(atPath: path(name)) }
        return try run(["dgst", "-\(digest)", "-sign", keyFile, name])
    }

    /// The lowercase hex HMAC-SHA256 of `message` under `key`.
    func hmacSHA256Hex(_ message: String, key: String) throws -> String {
        let output = String(decoding: try run(["dgst", "-sha256", "-hmac", key], input: Array(message.utf8)), as: UTF8.self)
        guard let hex = output.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw Failure(description: "unexpected dgst output")
        }
        return hex
    }

    /// A self-signed RSA 2048 certificate and its key, as `<name>.pem` and `<name>.key`.
    func selfSignedRSA(name: String, subject: String, days: Int = 365) throws {
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).pem",
                 "-days", String(days), "-subj", subject])
    }

    /// A CA certificate (self-signed, `CA:TRUE`) as `<name>.pem` / `<name>.key`.
    func certificateAuthority(name: String, subject: String) throws {
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).pem",
                 "-days", "365", "-subj", subject,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// A certificate for a new RSA key signed by the CA `issuer`, as `<name>.pem` / `<name>.key`.
    func issued(name: String, subject: String, issuer: String, isCA: Bool, serial: Int) throws {
        try run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
        let extensions = isCA
            ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
            : "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        try write("\(name).ext", Array(extensions.utf8))
        try run(["x509", "-req", "-in", "\(name).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key",
                 "-set_serial", String(serial), "-days", "30", "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }
}
