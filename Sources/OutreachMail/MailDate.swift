import Foundation

/// RFC 5322 `Date:` parsing, including the obsolete forms bounces still carry (two-digit
/// years, named zones such as `EST`, missing seconds or weekday, trailing comments).
public enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
        "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "jst": 9, "cet": 1, "cest": 2, "bst": 1,
    ]

    /// The instant described by a Date header value, or nil when it cannot be understood.
    public static func parse(_ value: String?) -> Date? {
        guard let value else { return nil }
        var text = ""
        var depth = 0
        for character in value {
            if character == "(" { depth += 1 } else if character == ")" { depth = max(0, depth - 1) } else if depth == 0 { text.append(character) }
        }
        let tokens = text.replacingOccurrences(of: ",", with: " ").split(separator: " ").map { $0.lowercased() }
        var day: Int?, month: Int?, year: Int?, time: [Int]?, offset = 0
        for token in tokens {
            if let index = months.firstIndex(where: { token.hasPrefix($0) }), month == nil, token.count <= 9 {
                month = index + 1
            } else if token.contains(":"), time == nil {
                let fields = token.split(separator: ":").compactMap { Int($0) }
                if fields.count >= 2, fields.count <= 3 { time = fields }
            } else if (token.hasPrefix("+") || token.hasPrefix("-")), token.count == 5, let number = Int(token.dropFirst()) {
                let minutes = (number / 100) * 60 + number % 100
                offset = (token.hasPrefix("-") ? -minutes : minutes) * 60
            } else if let hours = zones[token] {
                offset = hours * 3600
            } else if let number = Int(token), token.count <= 4 {
                if day == nil, token.count <= 2, month == nil || year == nil { day = number } else if year == nil { year = number }
            }
        }
        guard let day, let month, var year, let time, (1...31).contains(day) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let second = time.count > 2 ? time[2] : 0
        guard (0...23).contains(time[0]), (0...59).contains(time[1]), (0...60).contains(second),
              abs(offset) <= 18 * 3600, let zone = TimeZone(secondsFromGMT: offset) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: time[0], minute: time[1], second: second)
        return calendar.date(from: components)
    }
}
