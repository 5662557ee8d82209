import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name and renamed into place on `commit()`.
///
/// Readers (a spreadsheet, the node_exporter collector, a reviewer) never see half a file,
/// and a crash leaves at most a stray `.tmp-*` file beside the target. The temporary file is
/// created exclusively and without following symlinks, and `rename(2)` replaces whatever is
/// at the target (a symlink included) instead of writing through it.
public final class AtomicFile {
    public let path: String
    private let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false

    /// Creates the temporary file beside `path`; fails with `cannotCreateOutput` (73).
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        temporaryPath = (directory.isEmpty ? "." : directory) + "/.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-" + name
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutreachError.cannotCreateOutput(
                "Cannot create \(path) (\(String(cString: strerror(errno)))); check that the folder exists and is writable.")
        }
    }

    deinit {
        if !finished { discard() }
    }

    /// Appends text (UTF-8).
    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends bytes.
    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                Glibc_write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            guard written > 0 else {
                throw OutreachError.cannotCreateOutput("Cannot write \(path) (\(String(cString: strerror(errno)))); check free space.")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the file into place.
    public func commit() throws {
        guard !finished else { return }
        try flush()
        fsync(descriptor)
        close(descriptor)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutreachError.cannotCreateOutput("Cannot move the new \(path) into place (\(reason)).")
        }
    }

    /// Removes the temporary file; the target is untouched.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(descriptor)
        unlink(temporaryPath)
    }

    /// Writes a whole file atomically.
    public static func write(_ text: String, to path: String) throws {
        let file = try AtomicFile(path: path)
        try file.write(text)
        try file.commit()
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
