import Foundation
import OutreachCore

/// The command line as the parser should see it (SPEC §14).
///
/// People who know `git`, `kubectl` or `docker` type global options before the subcommand
/// (`outreach --db x.sqlite status`); the parser only knows them after it, so they are moved
/// there. The log format and the clock are read here too, before parsing, so that even a
/// usage error comes out as a JSON line when `--log-format json` was asked for.
struct Invocation {
    /// The arguments to parse (without the program name).
    let arguments: [String]
    /// The output format of everything the command writes.
    let logFormat: StderrLogHandler.Format
    /// The clock of log and result lines (`--now` / `OUTREACH_NOW` when they parse).
    let clock: any WallClock
    /// Set when the first word is not a command: the closest command's name, if any is close.
    let unknownCommand: (typed: String, suggestion: String?)?

    /// Global options that take a value, and those that do not (SPEC §2).
    static let valueOptions: Set<String> = ["--db", "--now", "--log-format"]
    static let flagOptions: Set<String> = ["-q", "--quiet", "-v", "--verbose"]

    init(_ raw: [String], commands: [String], environment: [String: String]) {
        let arguments = Self.rearrange(raw)
        self.arguments = arguments
        let options = Self.globalValues(arguments)
        let formatText = options["--log-format"] ?? environment["OUTREACH_LOG_FORMAT"].flatMap { $0.isEmpty ? nil : $0 }
        logFormat = formatText.flatMap(StderrLogHandler.Format.init(rawValue:)) ?? .text
        let nowText = options["--now"] ?? environment["OUTREACH_NOW"].flatMap { $0.isEmpty ? nil : $0 }
        clock = nowText.flatMap(Timestamp.parse).map { FixedClock($0) as any WallClock } ?? SystemClock()
        if let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first), first != "help" {
            unknownCommand = (first, Self.closest(to: first, among: commands))
        } else {
            unknownCommand = nil
        }
    }

    /// Moves the global options that precede the subcommand to just before `--` (or the end).
    static func rearrange(_ raw: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < raw.count {
            let word = raw[index]
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            if flagOptions.contains(word) {
                leading.append(word)
                index += 1
            } else if valueOptions.contains(name) {
                if word.contains("=") {
                    leading.append(word)
                    index += 1
                } else {
                    guard index + 1 < raw.count else { break }
                    leading += [word, raw[index + 1]]
                    index += 2
                }
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < raw.count else { return raw }
        var rest = Array(raw[index...])
        let end = rest.firstIndex(of: "--") ?? rest.count
        rest.insert(contentsOf: leading, at: end)
        return rest
    }

    /// The last value of each global value option (before a `--`).
    static func globalValues(_ arguments: [String]) -> [String: String] {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let word = arguments[index]
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, valueOptions.contains(parts[0]) {
                values[parts[0]] = parts[1]
            } else if valueOptions.contains(word), index + 1 < arguments.count {
                values[word] = arguments[index + 1]
                index += 1
            }
            index += 1
        }
        return values
    }

    /// The command closest to a mistyped one (at most two edits away, or a prefix of it).
    static func closest(to typed: String, among commands: [String]) -> String? {
        let ranked = commands.map { ($0, editDistance(typed, $0)) }.min { $0.1 < $1.1 }
        if let (name, distance) = ranked, distance <= 2 { return name }
        return commands.first { $0.hasPrefix(typed) && typed.count >= 2 }
    }

    /// Damerau–Levenshtein distance (optimal string alignment): `tikc` is one edit from `tick`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
