import Foundation
import OutreachCore

/// A clock tests move by hand; never sleeps.
final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    init(_ text: String) {
        instant = Timestamp.parse(text)!
    }

    func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return instant
    }

    func set(_ text: String) {
        lock.lock()
        instant = Timestamp.parse(text)!
        lock.unlock()
    }

    func advance(hours: Double = 0, days: Double = 0, seconds: Double = 0) {
        lock.lock()
        instant = instant.addingTimeInterval(seconds + hours * 3600 + days * 86_400)
        lock.unlock()
    }
}
