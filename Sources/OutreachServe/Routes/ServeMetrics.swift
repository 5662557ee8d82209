import Foundation

/// The counters of this `serve` process, in the Prometheus text format beside the
/// database's own metrics on `GET /metrics`.
final class ServeMetrics: @unchecked Sendable {  // Every access holds `lock`.
    private let lock = NSLock()
    private var requests: [Key: Int] = [:]
    private var unsubscribes: [String: Int] = [:]
    private var hookEvents: [Key: Int] = [:]

    private struct Key: Hashable, Comparable {
        let first: String
        let second: String
        static func < (a: Key, b: Key) -> Bool { (a.first, a.second) < (b.first, b.second) }
    }

    /// `route` is the route's pattern (`/u/{token}`), never the path a client sent.
    func request(route: String, status: Int) {
        lock.withLock { requests[Key(first: route, second: String(status)), default: 0] += 1 }
    }

    /// `result`: recorded or already_recorded.
    func unsubscribe(_ result: String) {
        lock.withLock { unsubscribes[result, default: 0] += 1 }
    }

    /// `result`: imported, already_imported, forgotten (a person `leads forget` erased), rejected.
    func hookEvents(provider: String, result: String, count: Int = 1) {
        lock.withLock { hookEvents[Key(first: provider, second: result), default: 0] += count }
    }

    func text() -> String {
        lock.withLock {
            var out = "# HELP outreach_serve_requests_total HTTP requests answered by outreach serve, by route and status.\n"
            out += "# TYPE outreach_serve_requests_total counter\n"
            for (key, value) in requests.sorted(by: { $0.key < $1.key }) {
                out += "outreach_serve_requests_total{route=\"\(key.first)\",code=\"\(key.second)\"} \(value)\n"
            }
            out += "# HELP outreach_serve_unsubscribes_total One-click unsubscribes received, by result.\n"
            out += "# TYPE outreach_serve_unsubscribes_total counter\n"
            for result in ["recorded", "already_recorded"] {
                out += "outreach_serve_unsubscribes_total{result=\"\(result)\"} \(unsubscribes[result] ?? 0)\n"
            }
            out += "# HELP outreach_serve_hook_events_total Provider webhook events, by provider and result.\n"
            out += "# TYPE outreach_serve_hook_events_total counter\n"
            for (key, value) in hookEvents.sorted(by: { $0.key < $1.key }) {
                out += "outreach_serve_hook_events_total{provider=\"\(key.first)\",result=\"\(key.second)\"} \(value)\n"
            }
            return out
        }
    }
}
