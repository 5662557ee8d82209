import Foundation

/// The lines `outreach` and `outreach-serve` print that are not log events (results,
/// warnings, errors), so both programs fail in the same words and the same JSON (SPEC §14).
public enum ConsoleLine {
    /// One JSON object: `ts`, `level`, `msg`, then `fields`.
    public static func json(level: String, message: String, _ fields: [(String, JSONText.Value)] = [], now: Date) -> String {
        JSONText.write(.object([("ts", .string(Timestamp.format(now))), ("level", .string(level)), ("msg", .string(message))] + fields))
    }

    /// A failing command's sentence: `outreach: …` as text, or a JSON line with `exit_code`.
    public static func error(_ message: String, exitCode: Int32, format: StderrLogHandler.Format, now: Date) -> String {
        switch format {
        case .text: "outreach: \(message)\n"
        case .json: json(level: "error", message: message, [("exit_code", .int(Int64(exitCode)))], now: now) + "\n"
        }
    }
}
