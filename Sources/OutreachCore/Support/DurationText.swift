import Foundation

/// Durations as campaign files write them: `300s`, `30m`, `24h`, `7d`, or a sum like `1h30m`.
///
/// A bare number is refused on purpose: `delay: 72` could mean hours or seconds, and
/// guessing wrong would email people days early.
public enum DurationText {
    /// Parses a duration into whole seconds; nil when the text is not a duration.
    public static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        var total = 0
        var digits = ""
        for char in trimmed {
            if char.isASCII, char.isNumber {
                digits.append(char)
                continue
            }
            guard !digits.isEmpty, let value = Int(digits) else { return nil }
            let unit: Int
            switch char {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            default: return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow2 else { return nil }
            total = sum
            digits = ""
        }
        guard digits.isEmpty else { return nil }
        return total
    }

    /// Writes seconds back in the shortest exact form (`90000` → `25h`, `90` → `90s`).
    public static func format(_ seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
