import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a helper program for a transport (a sendmail command, the HTTP worker) and says how
/// it ended, without ever hanging the tick or crashing it.
///
/// Why not Foundation's `Process`: its `terminationStatus` traps when read before the child
/// was reaped, its timeout can only start after `run()` returns (a child that never reads
/// its input blocks the write forever), and it waits for the pipes' end of file, which a
/// background grandchild holding them (exim4's default background delivery) delays for
/// minutes. swift-subprocess (1.0.2, mirrored) would do, but it is async-only and costs a
/// second build of its dependencies on every CI run for one function. This is the smallest
/// correct layer: `posix_spawn`, one `poll` loop that writes the input and drains both
/// outputs against one deadline counted from the spawn, and `waitpid` as the only source of
/// the exit status.
///
/// - The child runs in its own process group with default signal dispositions (this process
///   ignores SIGPIPE; the child must not inherit that) and only the given environment.
/// - The child is judged by its own exit status: once it is reaped, its pipes are drained
///   for at most `drainGrace` and then closed, whoever else still holds them.
/// - At the deadline the whole process group is killed and reaped; the result says so.
enum ChildProcess {
    /// How the child ended.
    enum Ending: Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it (not one we sent).
        case signaled(Int32)
        /// It outlived the timeout and was killed.
        case timedOut
        /// `waitpid` failed: the status cannot be known.
        case unreadable(String)
    }

    /// What the child did.
    struct Result {
        var ending: Ending
        var output: Data
        /// At most 500 characters of stderr, on one line.
        var errors: String
    }

    /// The child could not be started (no such file, not executable, no resources): nothing
    /// was handed to it.
    struct LaunchFailure: Error {
        let reason: String
    }

    /// How long the pipes are still read after the child exited.
    static let drainGrace: Duration = .milliseconds(200)
    /// Output kept at most (the rest is read and dropped, so the child never blocks).
    static let outputLimit = 1 << 20

    static func run(_ executable: String, _ arguments: [String], input: Data, environment: [String: String],
                    timeout: Duration) throws(LaunchFailure) -> Result {
        var pipes = try Pipes()
        defer { pipes.closeAll() }
        let pid = try spawn(executable, arguments, environment: environment, pipes: &pipes)
        return supervise(pid: pid, pipes: &pipes, input: input, deadline: ContinuousClock.now + timeout)
    }

    // MARK: - Spawning

    /// Three pipes; the parent's ends are non-blocking, every end is close-on-exec (the
    /// child's ends are `dup2`ed onto 0, 1 and 2, which clears that flag).
    private struct Pipes {
        /// [read, write] of stdin, stdout, stderr.
        var stdin: [Int32] = [-1, -1]
        var stdout: [Int32] = [-1, -1]
        var stderr: [Int32] = [-1, -1]

        init() throws(LaunchFailure) {
            for index in 0..<3 {
                var fds: [Int32] = [-1, -1]
                guard pipe(&fds) == 0 else {
                    closeAll()
                    throw LaunchFailure(reason: "cannot create a pipe (\(String(cString: strerror(errno))))")
                }
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                switch index {
                case 0: stdin = fds
                case 1: stdout = fds
                default: stderr = fds
                }
            }
            for fd in [stdin[1], stdout[0], stderr[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }

        mutating func closeChildEnds() {
            Self.close(&stdin[0])
            Self.close(&stdout[1])
            Self.close(&stderr[1])
        }

        mutating func closeAll() {
            for index in 0..<2 {
                Self.close(&stdin[index])
                Self.close(&stdout[index])
                Self.close(&stderr[index])
            }
        }

        static func close(_ fd: inout Int32) {
            if fd >= 0 { _ = systemClose(fd) }
            fd = -1
        }
    }

    private static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                              pipes: inout Pipes) throws(LaunchFailure) -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_adddup2(&actions, pipes.stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, pipes.stdout[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes.stderr[1], 2)
        // Nothing else crosses over: not every descriptor of this process is close-on-exec
        // (runtime pipes, a caller's stdout duplicated by a library), and a grandchild holding
        // one would keep whoever reads it waiting.
        #if canImport(Glibc)
        closeFrom3(&actions)
        #endif
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signalNumber) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        #if canImport(Darwin)
        let closeOthers = POSIX_SPAWN_CLOEXEC_DEFAULT
        #else
        let closeOthers: Int32 = 0
        #endif
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP | closeOthers))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                posix_spawn(&pid, executable, &actions, &attributes,
                            UnsafeMutablePointer(mutating: argvBuffer.baseAddress!),
                            UnsafeMutablePointer(mutating: envpBuffer.baseAddress!))
            }
        }
        guard status == 0 else { throw LaunchFailure(reason: String(cString: strerror(status))) }
        pipes.closeChildEnds()
        return pid
    }

    #if canImport(Glibc)
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module
    /// does not export (it is a GNU extension); looked up once at run time. Without it, every
    /// descriptor open now is closed one by one.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd >= 3 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
    #endif

    // MARK: - Supervising

    private static func supervise(pid: pid_t, pipes: inout Pipes, input: Data, deadline: ContinuousClock.Instant) -> Result {
        var written = 0
        if input.isEmpty { Pipes.close(&pipes.stdin[1]) }
        var output = Data()
        var errors = Data()
        var ending: Ending?
        var exitedAt: ContinuousClock.Instant?

        while true {
            let now = ContinuousClock.now
            if ending == nil, now >= deadline { break }
            if let exitedAt, now - exitedAt >= drainGrace { break }
            if ending != nil, pipes.stdout[0] < 0, pipes.stderr[0] < 0 { break }

            var fds: [pollfd] = []
            if pipes.stdin[1] >= 0 { fds.append(pollfd(fd: pipes.stdin[1], events: Int16(POLLOUT), revents: 0)) }
            if pipes.stdout[0] >= 0 { fds.append(pollfd(fd: pipes.stdout[0], events: Int16(POLLIN), revents: 0)) }
            if pipes.stderr[0] >= 0 { fds.append(pollfd(fd: pipes.stderr[0], events: Int16(POLLIN), revents: 0)) }
            // Short naps: the child's exit is noticed by `waitpid`, not by the pipes (which a
            // grandchild may hold open), so the loop wakes up often enough to reap it.
            _ = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 5) }

            if pipes.stdin[1] >= 0 {
                let remaining = input.count - written
                let count = input.withUnsafeBytes { raw in
                    raw.baseAddress.map { write(pipes.stdin[1], $0 + written, min(remaining, 65_536)) } ?? 0
                }
                if count > 0 { written += count }
                if written == input.count {
                    Pipes.close(&pipes.stdin[1])
                } else if count < 0, errno != EAGAIN, errno != EINTR {
                    // EPIPE: the child closed its input early; its exit status says why.
                    Pipes.close(&pipes.stdin[1])
                }
            }
            drain(&pipes.stdout[0], into: &output)
            drain(&pipes.stderr[0], into: &errors)

            if ending == nil {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    ending = decode(status)
                    exitedAt = ContinuousClock.now
                    // Whatever the child did not read, it never will.
                    Pipes.close(&pipes.stdin[1])
                } else if reaped < 0, errno != EINTR {
                    ending = .unreadable(String(cString: strerror(errno)))
                    exitedAt = ContinuousClock.now
                }
            }
        }

        if ending == nil {
            // The deadline passed: kill the child and everything it started, then reap it.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        }
        let text = String(decoding: errors.prefix(4096), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return Result(ending: ending ?? .timedOut, output: output,
                      errors: text.count > 500 ? String(text.prefix(497)) + "..." : text)
    }

    /// Reads what a non-blocking pipe has; closes it at end of file or on an error.
    private static func drain(_ fd: inout Int32, into data: inout Data) {
        guard fd >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                if data.count < outputLimit { data.append(contentsOf: buffer[0..<min(count, outputLimit - data.count)]) }
                continue
            }
            if count < 0, errno == EAGAIN || errno == EINTR { return }
            Pipes.close(&fd)
            return
        }
    }

    /// The meaning of a `waitpid` status.
    private static func decode(_ status: Int32) -> Ending {
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }
}

/// `close(2)`, named so it does not clash with the methods called `close`.
private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}
