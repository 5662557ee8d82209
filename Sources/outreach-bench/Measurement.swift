import Foundation

/// Wall time and peak resident memory of one run.
struct Sample {
    let seconds: Double
    let peakKB: Int
}

/// Median, minimum and maximum of repeated measurements.
struct Spread {
    let median: Double
    let min: Double
    let max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }

    func text(_ format: (Double) -> String) -> String {
        "\(format(median)) [\(format(min))–\(format(max))]"
    }
}

/// Runs a program to completion and measures its wall time; with `memory`, also its peak
/// resident set size. Output goes to a log file; a failure stops the benchmark.
///
/// Peak memory comes from GNU time (`/usr/bin/time -f %M`), not from `wait4` here: Linux
/// carries the parent's peak RSS over into a spawned child at exec, so a child of this
/// (large) process would report the benchmark's own peak. GNU time forks from its own small
/// process. Timed runs are spawned directly, so the wrapper never adds to a duration.
func measure(_ executable: String, _ arguments: [String], environment: [String: String], log: String,
             memory: Bool = false) throws -> Sample {
    guard memory else { return try spawnAndWait(executable, arguments, environment: environment, log: log) }
    let report = log + ".rss"
    try? FileManager.default.removeItem(atPath: report)
    let sample = try spawnAndWait("/usr/bin/time", ["-f", "%M", "-o", report, executable] + arguments, environment: environment, log: log)
    guard let text = try? String(contentsOfFile: report, encoding: .utf8),
          let kilobytes = Int(text.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "")
    else { throw BenchError("GNU time wrote no peak RSS for \(executable); is the Debian package `time` installed?") }
    return Sample(seconds: sample.seconds, peakKB: kilobytes)
}

private func spawnAndWait(_ executable: String, _ arguments: [String], environment: [String: String], log: String) throws -> Sample {
    let status = try spawn(executable, arguments, environment: environment, output: log)
    guard status.code == 0 else {
        let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: "\n") ?? ""
        throw BenchError("\(([executable] + arguments).joined(separator: " ")) failed (exit \(status.code)): \(tail)")
    }
    return status.sample
}

/// How a spawned program ended: its exit code (128 + signal when killed) and its sample.
struct Exit {
    let code: Int32
    let sample: Sample
}

/// Runs a program to completion with stdin from /dev/null and stdout and stderr appended to
/// `output`; returns how it ended without judging it.
func spawn(_ executable: String, _ arguments: [String], environment: [String: String], output: String) throws -> Exit {
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let start = DispatchTime.now()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) != pid {
        guard errno == EINTR else { throw BenchError("wait4 failed for \(executable)") }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Exit(code: code, sample: Sample(seconds: seconds, peakKB: Int(usage.ru_maxrss)))
}

/// Times a block in this process.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Copies a database file (closed cleanly, so its WAL is checkpointed) and syncs the copy:
/// otherwise the kernel is still writing hundreds of megabytes back while the next timed run
/// reads the file, and the copy's I/O is measured instead of the tick.
func copyDatabase(_ source: String, to target: String) throws {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
    try FileManager.default.copyItem(atPath: source, toPath: target)
    let descriptor = open(target, O_RDONLY)
    guard descriptor >= 0 else { throw BenchError("cannot open \(target)") }
    fsync(descriptor)
    close(descriptor)
}

/// Thousands separators for the table.
func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var out = ""
    for (index, char) in digits.reversed().enumerated() {
        if index > 0, index % 3 == 0 { out.append(",") }
        out.append(char)
    }
    return String(out.reversed())
}
