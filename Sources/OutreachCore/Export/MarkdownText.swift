/// Escaping for Markdown tables and text, so data (a lead named `x|y`, a reason with a line
/// break or `<script>`) can never change the structure of `summary.md`.
public enum MarkdownText {
    /// One table cell: pipes and backslashes escaped, line breaks flattened, HTML neutralised.
    public static func cell(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "`": out += "\\`"
            case "\n", "\r", "\t": out += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out.isEmpty ? " " : out
    }

    /// A table from a header and rows of already-plain text.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var lines = ["| " + header.map(cell).joined(separator: " | ") + " |",
                     "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }
}
