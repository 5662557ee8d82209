import Foundation

/// When a campaign may send, in some time zone: a pure function of the instant.
///
/// The window is a set of weekdays and a local start (inclusive) and end (exclusive) time.
/// Local times are resolved with the zone's rules on that very day, so 09:00 stays 09:00
/// local across daylight-saving changes; a start time that does not exist on a
/// spring-forward day resolves to the first valid instant after it.
public struct SendingWindow: Sendable, Equatable {
    /// Open now (until when), or closed (until when).
    public enum State: Sendable, Equatable {
        case open(closesAt: Date)
        case closed(opensAt: Date)

        public var isOpen: Bool {
            if case .open = self { return true }
            return false
        }

        /// The instant this state stops being true.
        public var changesAt: Date {
            switch self {
            case .open(let date), .closed(let date): date
            }
        }
    }

    public let weekdays: Set<Int>
    public let startMinute: Int
    public let endMinute: Int
    /// Blackout days (`YYYY-MM-DD` in the zone the window is judged in).
    public let skipDates: Set<String>

    public init(_ window: Campaign.Window) {
        weekdays = Set(window.days.map(\.calendarWeekday))
        startMinute = window.startMinute
        endMinute = window.endMinute
        skipDates = Set(window.skipDates ?? [])
    }

    /// The window's state at `instant` in `timeZone`.
    public func state(at instant: Date, in timeZone: TimeZone) -> State {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: instant)
        for offset in 0...(8 + skipDates.count) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today),
                  weekdays.contains(calendar.component(.weekday, from: day))
            else { continue }
            if !skipDates.isEmpty, skipDates.contains(QuotaDay.of(day.addingTimeInterval(43_200), in: timeZone)) { continue }
            let open = localInstant(calendar, day: day, minute: startMinute)
            let close = localInstant(calendar, day: day, minute: endMinute)
            if instant < open { return .closed(opensAt: open) }
            if instant < close { return .open(closesAt: close) }
        }
        // Unreachable with at least one weekday; stay closed for a day rather than crash.
        return .closed(opensAt: instant.addingTimeInterval(86_400))
    }

    private func localInstant(_ calendar: Calendar, day: Date, minute: Int) -> Date {
        if minute >= 24 * 60 {
            return calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        }
        var components = calendar.dateComponents([.year, .month, .day], from: day)
        components.hour = minute / 60
        components.minute = minute % 60
        components.second = 0
        guard let candidate = calendar.date(from: components) else { return day.addingTimeInterval(Double(minute * 60)) }
        // A local time inside a spring-forward gap (02:30 on a day that jumps from 02:00 to
        // 03:00) does not exist. Foundation moves it forward by the gap's length (03:30);
        // the first valid instant after it is the transition itself (03:00).
        let local = calendar.dateComponents([.hour, .minute], from: candidate)
        if local.hour != components.hour || local.minute != components.minute,
           let transition = calendar.timeZone.nextDaylightSavingTimeTransition(after: day), transition <= candidate {
            return transition
        }
        return candidate
    }
}

/// Remembers window states per time zone while they stay true, so a tick over thousands of
/// leads in a handful of zones computes each zone's state once, not once per lead.
final class WindowStateCache {
    private let window: SendingWindow
    private var states: [String: (state: SendingWindow.State, computedAt: Date)] = [:]
    private var zones: [String: TimeZone] = [:]

    init(window: SendingWindow) {
        self.window = window
    }

    /// The window's state at `instant` in the zone named `identifier`. A cached state answers
    /// only for instants between when it was computed and when it changes.
    func state(at instant: Date, zone identifier: String) -> SendingWindow.State {
        if let cached = states[identifier], cached.computedAt <= instant, instant < cached.state.changesAt {
            return cached.state
        }
        let state = window.state(at: instant, in: timeZone(identifier))
        states[identifier] = (state, instant)
        return state
    }

    /// The `TimeZone` for an identifier, cached (unknown identifiers fall back to UTC).
    func timeZone(_ identifier: String) -> TimeZone {
        if let zone = zones[identifier] { return zone }
        let zone = TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")!
        zones[identifier] = zone
        return zone
    }
}

/// The campaign-local calendar day a dispatch counts against (`YYYY-MM-DD`).
public enum QuotaDay {
    public static func of(_ instant: Date, in timeZone: TimeZone) -> String {
        Timestamp.utcDay(instant.addingTimeInterval(Double(timeZone.secondsFromGMT(for: instant))))
    }
}
