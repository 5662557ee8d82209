import Foundation
import OutreachCore

/// Everything a command writes, in the invocation's format (SPEC §14).
///
/// In text mode results go to stdout as people read them and errors to stderr as
/// `outreach: sentence`. With `--log-format json` every line either stream carries is one JSON
/// object, with numbers as numbers, booleans as booleans and absent values as null, so that a
/// cron log that mixes results, warnings and errors stays parseable with `jq`.
enum Console {
    /// Set once in `Outreach.main`, before any command runs.
    nonisolated(unsafe) static var format: StderrLogHandler.Format = .text
    nonisolated(unsafe) static var clock: any WallClock = SystemClock()

    /// A result: the sentence for people, and the same facts as typed fields for machines.
    static func result(_ text: String, _ fields: [(String, JSONText.Value)] = []) {
        switch format {
        case .text:
            StandardStreams.out(text.hasSuffix("\n") ? text : text + "\n")
        case .json:
            let message = text.hasSuffix("\n") ? String(text.dropLast()) : text
            StandardStreams.out(line(level: "info", message: message, fields) + "\n")
        }
    }

    /// A listing in the asked format; with `--log-format json` a table becomes one object per row.
    static func listing(_ listing: Listing, _ asked: Listing.Format) {
        guard format == .json, asked == .table else { return StandardStreams.out(listing.render(asked)) }
        for row in listing.rows {
            StandardStreams.out(JSONText.write(.object(Array(zip(listing.columns, row)))) + "\n")
        }
    }

    /// A document that is already JSON (`campaign show --format json`, `leads show --format json`).
    static func json(_ value: JSONText.Value) {
        StandardStreams.out((format == .json ? JSONText.write(value) : JSONText.pretty(value)) + "\n")
    }

    /// One record (`leads show`, `kill-switch status`): the text for people as a table, the
    /// fields as one JSON object, or as `field,value` CSV rows.
    static func record(_ text: String, _ fields: [(String, JSONText.Value)], _ asked: Listing.Format) {
        switch asked {
        case .table: result(text, fields)
        case .json: json(.object(fields))
        case .csv:
            var listing = Listing(columns: ["field", "value"])
            for (name, value) in fields {
                switch value {
                case .array, .object: listing.append([.string(name), .string(JSONText.write(value))])
                default: listing.append([.string(name), value])
                }
            }
            StandardStreams.out(listing.render(.csv))
        }
    }

    /// The one sentence of a failing command, with the exit code it is about to return.
    static func error(_ message: String, exitCode: Int32) {
        StandardStreams.err(ConsoleLine.error(message, exitCode: exitCode, format: format, now: clock.now()))
    }

    /// A warning that does not change the exit code.
    static func warning(_ message: String, _ fields: [(String, JSONText.Value)] = []) {
        switch format {
        case .text: StandardStreams.err("outreach: warning: \(message)\n")
        case .json: StandardStreams.err(line(level: "warning", message: message, fields) + "\n")
        }
    }

    private static func line(level: String, message: String, _ fields: [(String, JSONText.Value)]) -> String {
        ConsoleLine.json(level: level, message: message, fields, now: clock.now())
    }
}
