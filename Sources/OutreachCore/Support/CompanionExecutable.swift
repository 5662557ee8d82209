import Foundation

/// Finds the executables installed beside `outreach` (`outreach-http`, `outreach-serve`):
/// they carry what the cron tick's start-up must not pay for (FoundationNetworking,
/// OpenSSL, an HTTP server).
public enum CompanionExecutable {
    /// `$overrideVariable` when it names an executable, else the file beside the running
    /// executable, else the first on PATH; nil when there is none.
    public static func locate(_ name: String, overrideVariable: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment[overrideVariable], FileManager.default.isExecutableFile(atPath: explicit) {
            return explicit
        }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let sibling = executable.deletingLastPathComponent().appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
