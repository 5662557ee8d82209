import Foundation

/// Converts an injected `Date` to the `time_t` OpenSSL takes, without trapping.
///
/// It exists because `Int(Double)` traps on values out of range; dates are clamped to
/// ±10^15 seconds around 1970.
enum EpochSeconds {
    private static let limit: Double = 1e15

    static func timeT(_ date: Date) -> time_t {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return time_t(seconds > 0 ? limit : -limit) }
        return time_t(min(max(seconds, -limit), limit).rounded(.down))
    }
}
