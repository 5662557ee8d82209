import Foundation

/// Rows of a listing command, printable as an aligned table, CSV or JSON.
///
/// Every `list` command builds one of these, so `--format table|csv|json` behaves the same
/// everywhere: JSON is one array of objects with snake_case keys in column order, CSV is
/// RFC 4180 and formula-safe, and the table is for people.
public struct Listing: Sendable {
    /// The output formats of `--format`.
    public enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    public let columns: [String]
    public private(set) var rows: [[JSONText.Value]] = []

    public init(columns: [String]) {
        self.columns = columns
    }

    /// Adds a row; values are given in column order.
    public mutating func append(_ values: [JSONText.Value]) {
        precondition(values.count == columns.count, "a listing row must have one value per column")
        rows.append(values)
    }

    /// The listing in the given format, ending with a newline.
    public func render(_ format: Format) -> String {
        switch format {
        case .json:
            return JSONText.write(.array(rows.map { .object(Array(zip(columns, $0))) })) + "\n"
        case .csv:
            return CSVWriter.line(columns) + rows.map { CSVWriter.line($0.map(Self.text)) }.joined()
        case .table:
            let cells = [columns] + rows.map { $0.map { RFC5322.clean(Self.text($0)) } }
            var widths = columns.map(\.count)
            for row in cells {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            return cells.map { row in
                row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }
    }

    /// The plain text of a value (null is empty).
    public static func text(_ value: JSONText.Value) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: ""
        case .array, .object: JSONText.write(value)
        }
    }
}
