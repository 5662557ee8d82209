import Foundation

/// Writes RFC 4180 CSV that is also safe to open in a spreadsheet.
///
/// Cells are quoted when they contain a comma, quote, CR or LF. A cell that starts with
/// `=`, `+`, `-`, `@`, tab, CR or LF would be read as a formula by Excel, LibreOffice or
/// Sheets; it is neutralised with a leading apostrophe (OWASP's advice), so an email like
/// `=HYPERLINK(…)@x.com` shows as text. Line ends are CRLF, as RFC 4180 says.
public enum CSVWriter {
    /// One CSV line (with its CRLF) for the given cells.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// One cell, neutralised and quoted as needed.
    public static func cell(_ raw: String) -> String {
        var text = raw
        if let first = text.unicodeScalars.first, formulaStarters.contains(first) {
            text = "'" + text
        }
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static let formulaStarters: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\n"]
}
