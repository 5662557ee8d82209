import Crypto
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
/// at the target (a symlink included) instead of writing through it. The SHA-256 and size of
/// the content are computed while writing, for manifests.
public final class AtomicFile {
    public let path: String
    private let temporaryPath: String
    private let descriptor: Int32
    private let durable: Bool
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var finished = false
    /// Bytes written so far.
    public private(set) var byteCount = 0
    /// The hex SHA-256 of the content, available after `commit()`.
    public private(set) var sha256Hex = ""

    /// Creates the temporary file beside `path`; fails with `cannotCreateOutput` (73).
    /// `durable` syncs the file to disk before the rename (skip it for bulk previews).
    public init(path: String, durable: Bool = true) throws {
        self.path = path
        self.durable = durable
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
        try write(bytes: Array(text.utf8))
    }

    /// Appends bytes.
    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        hasher.update(data: buffer)
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
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
        sha256Hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if durable { fsync(descriptor) }
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

/// Creates folders for outputs without ever following a symlink that is already there.
public enum SafeDirectory {
    /// True when `path` is a folder itself, not a symbolic link to one.
    public static func isReal(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Makes sure `path` is a real directory (creating it if needed); a symlink or a file at
    /// that path is refused with `cannotCreateOutput` (73).
    public static func ensure(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw OutreachError.cannotCreateOutput("\(path) is a symbolic link; outreach does not write through links. Remove it or choose another folder.")
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw OutreachError.cannotCreateOutput("\(path) exists and is not a folder; remove it or choose another folder.")
            }
            return
        }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw OutreachError.cannotCreateOutput("Cannot create the folder \(path) (\(String(cString: strerror(errno)))).")
        }
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
