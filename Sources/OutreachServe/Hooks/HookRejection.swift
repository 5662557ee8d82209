/// A rejection passed between the steps of a verifier before it becomes a `HookOutcome`.
///
/// It exists so helper steps can return `Result<_, HookRejection>` and the verifier
/// stays a flat sequence of checks.
struct HookRejection: Error, Equatable {
    let status: Int
    let reason: String

    var outcome: HookOutcome { .rejected(status: status, reason: reason) }

    static func malformed(_ reason: String) -> HookRejection { HookRejection(status: 400, reason: reason) }
    static func unauthorized(_ reason: String) -> HookRejection { HookRejection(status: 401, reason: reason) }
    static func forbidden(_ reason: String) -> HookRejection { HookRejection(status: 403, reason: reason) }
}
