import Foundation
import OutreachCore
@testable import OutreachServe

extension HookOutcome {
    /// The events, or nil when the outcome is not `.events`.
    var events: [FeedbackEvent]? {
        if case .events(let events) = self { return events }
        return nil
    }

    /// The status of a rejection, or nil.
    var status: Int? {
        if case .rejected(let status, _) = self { return status }
        return nil
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func date(_ text: String) -> Date {
    Timestamp.parse(text) ?? Date(timeIntervalSince1970: .nan)
}

/// A `CertificateFetcher` that returns fixed bytes (or fails) and counts its calls.
final class StubFetcher: CertificateFetcher, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [URL] = []
    private let result: Result<[UInt8], any Error>

    init(_ result: Result<[UInt8], any Error>) {
        self.result = result
    }

    var callCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return calls.count
    }

    func fetch(_ url: URL) throws -> [UInt8] {
        lock.lock()
        calls.append(url)
        lock.unlock()
        return try result.get()
    }
}

struct FetchFailed: Error {}
