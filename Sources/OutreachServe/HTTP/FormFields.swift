import Foundation

/// The fields of a form body, `application/x-www-form-urlencoded` or `multipart/form-data`
/// (RFC 8058 allows both for `List-Unsubscribe=One-Click`). Only short text fields are
/// kept; the body is already limited to 64 KiB.
enum FormFields {
    static func parse(contentType: String?, body: [UInt8]) -> [String: String] {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") { return multipart(contentType: contentType ?? "", body: body) }
        return urlencoded(String(decoding: body, as: UTF8.self))
    }

    static func urlencoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(String(parts[0]))
            let value = parts.count > 1 ? decode(String(parts[1])) : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func decode(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Each part's `name` and its text, for parts without a file name.
    static func multipart(contentType: String, body: [UInt8]) -> [String: String] {
        guard let boundaryRange = contentType.range(of: "boundary=", options: .caseInsensitive) else { return [:] }
        var boundary = String(contentType[boundaryRange.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty, boundary.count <= 200 else { return [:] }
        let text = String(decoding: body, as: UTF8.self)
        var fields: [String: String] = [:]
        for part in text.components(separatedBy: "--" + boundary).dropFirst() {
            if part.hasPrefix("--") { break }
            guard let split = part.range(of: "\r\n\r\n") ?? part.range(of: "\n\n") else { continue }
            let head = part[..<split.lowerBound]
            var value = String(part[split.upperBound...])
            if value.hasSuffix("\r\n") { value.removeLast(1) } else if value.hasSuffix("\n") { value.removeLast() }
            guard let nameRange = head.range(of: "name=\"", options: .caseInsensitive),
                  let close = head[nameRange.upperBound...].firstIndex(of: "\"") else { continue }
            let name = String(head[nameRange.upperBound..<close])
            if head.range(of: "filename=", options: .caseInsensitive) != nil { continue }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}
