import Foundation

/// ISO 8601 UTC timestamps as the database, the artifacts and the JSON output write them.
///
/// One fixed-width format (`2026-11-21T14:05:00Z`) everywhere, so text order is time order
/// in SQL. Formatting is hand-written civil-calendar arithmetic: it runs once per lead in
/// the tick's hot path, where `ISO8601DateFormatter` would cost more than the SQL.
public enum Timestamp {
    /// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ` (seconds truncated).
    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilDate(fromDays: days)
        return String(unsafeUninitializedCapacity: 20) { buffer in
            var position = 0
            func digits(_ value: Int64, _ width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[position + offset] = UInt8(48 + rest % 10)
                    rest /= 10
                }
                position += width
            }
            func char(_ byte: UInt8) {
                buffer[position] = byte
                position += 1
            }
            digits(year, 4)
            char(0x2D)
            digits(Int64(month), 2)
            char(0x2D)
            digits(Int64(day), 2)
            char(0x54)
            digits(secondOfDay / 3600, 2)
            char(0x3A)
            digits((secondOfDay % 3600) / 60, 2)
            char(0x3A)
            digits(secondOfDay % 60, 2)
            char(0x5A)
            return position
        }
    }

    /// Formats an optional instant; nil stays nil.
    public static func format(_ date: Date?) -> String? {
        date.map { format($0) }
    }

    /// Parses the timestamps users type: `2026-11-21T14:05:00Z`, with optional fractional
    /// seconds, with a `+hh:mm` offset instead of `Z`, or a bare date `2026-11-21`
    /// (midnight UTC). Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        if let canonical = parseCanonical(text) { return canonical }
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ char: Character) -> Bool {
            guard index < bytes.count, bytes[index] == char.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"),
              let day = number(2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civilDate(fromDays: days) == (year, Int(month), Int(day)) else { return nil }
        if index == bytes.count {
            return Date(timeIntervalSince1970: Double(days * 86_400))
        }
        guard expect("T") || expect(" "), let hour = number(2), expect(":"), let minute = number(2),
              expect(":"), let second = number(2), hour < 24, minute < 60, second < 61
        else { return nil }
        if expect(".") {
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if expect("Z") || expect("z") {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let offsetHour = number(2), expect(":") || true, let offsetMinute = number(2),
                  offsetHour < 24, offsetMinute < 60
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let total = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(total))
    }

    /// The stored form, `YYYY-MM-DDTHH:MM:SSZ`, without allocating (leads are read by the
    /// hundred thousand); nil for anything else, which `parse` then handles.
    private static func parseCanonical(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A,
                  bytes[16] == 0x3A, bytes[19] == 0x5A else { return nil }
            func number(_ start: Int, _ width: Int) -> Int64? {
                var value: Int64 = 0
                for index in start..<(start + width) {
                    let byte = bytes[index]
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value * 10 + Int64(byte - 48)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                  let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day),
                  hour < 24, minute < 60, second < 60
            else { return nil }
            let days = daysFromCivil(year: year, month: month, day: day)
            guard day <= 28 || civilDate(fromDays: days) == (year, Int(month), Int(day)) else { return nil }
            return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
        }
    }

    /// The UTC calendar date of an instant, as `YYYY-MM-DD`.
    public static func utcDay(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    // MARK: - Civil calendar (Howard Hinnant's algorithms)

    static func civilDate(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), Int(month), Int(day))
    }

    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

}

/// Remembers the last instant it formatted: a tick writes "now" a dozen times per lead, and
/// now changes at most once a second.
final class TimestampCache {
    private var seconds = Int64.min
    private var text = ""

    func format(_ date: Date) -> String {
        let value = Int64(date.timeIntervalSince1970.rounded(.down))
        if value != seconds {
            seconds = value
            text = Timestamp.format(date)
        }
        return text
    }

    func format(_ date: Date?) -> String? {
        date.map { format($0) }
    }
}
