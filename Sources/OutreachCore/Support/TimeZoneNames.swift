import Foundation

/// Which time zone names outreach accepts: IANA region names (`Europe/Paris`) and `UTC`.
/// Abbreviations (`EST`) and offsets (`GMT+1`) are refused: they do not follow daylight saving.
public enum TimeZoneNames {
    private static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"])

    /// True for a name outreach accepts.
    public static func isValid(_ name: String) -> Bool {
        guard name == "UTC" || name.contains("/") else { return false }
        return known.contains(name) || TimeZone(identifier: name) != nil
    }
}
