import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to stdout and stderr that can fail without harm (SPEC §9.8).
///
/// `FileHandle.write` traps when the write fails (a closed pipe, `/dev/full`, a full log
/// disk), which would kill a tick between its transactions with the lease held. Here a
/// failed write is remembered instead; the command finishes its work, records its run,
/// releases its lease, and then exits 74 (`Outreach.main`).
public enum StandardStreams {
    /// Set once any write to stdout or stderr failed.
    nonisolated(unsafe) public private(set) static var failed = false
    private static let lock = NSLock()

    public static func out(_ text: String) { write(text, to: STDOUT_FILENO) }
    public static func err(_ text: String) { write(text, to: STDERR_FILENO) }

    private static func write(_ text: String, to fd: Int32) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { raw in systemWrite(fd, raw.baseAddress, raw.count) }
            if count > 0 {
                bytes = bytes.dropFirst(count)
            } else if count < 0, errno == EINTR {
                continue
            } else {
                failed = true
                return
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}
