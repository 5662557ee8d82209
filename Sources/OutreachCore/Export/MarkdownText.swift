/// Escaping for Markdown tables and text, so data (a lead named `x|y`, a reason with a line
/// break or `<script>`) can never change the structure of `summary.md`.
public enum MarkdownText {
    /// One table cell of data: pipes, backslashes and backticks escaped, line breaks
    /// flattened, HTML neutralised.
    public static func cell(_ text: String) -> String { cell(text, keepCode: false) }

    /// A cell of our own prose, whose `code spans` are meant as such (SPEC §14: no escaped
    /// backtick showing in summary.md); escaped like data otherwise.
    public static func prose(_ text: String) -> String { cell(text, keepCode: true) }

    private static func cell(_ text: String, keepCode: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "`": out += keepCode ? "`" : "\\`"
            case "\n", "\r", "\t": out += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out.isEmpty ? " " : out
    }

    /// A table from a header and rows of plain text; the columns in `prose` are our own words.
    public static func table(_ header: [String], _ rows: [[String]], prose: Set<Int> = []) -> String {
        var lines = ["| " + header.map(cell).joined(separator: " | ") + " |",
                     "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows {
            lines.append("| " + row.enumerated().map { prose.contains($0.offset) ? Self.prose($0.element) : cell($0.element) }
                .joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
