import Foundation
import OutreachCore

/// An in-memory transport: answers with scripted outcomes (then `.sent`), records every
/// message it was handed, and can run a hook while "sending".
final class ScriptedTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [SendOutcome]
    private var received: [OutgoingMessage] = []
    private let hook: (@Sendable (OutgoingMessage) -> Void)?

    let idempotencyWindowSeconds: Int?

    /// `idempotencyWindowSeconds`: behave like an HTTP API that recognises repeated keys.
    init(_ script: [SendOutcome] = [], idempotencyWindowSeconds: Int? = nil, onSend hook: (@Sendable (OutgoingMessage) -> Void)? = nil) {
        self.script = script
        self.idempotencyWindowSeconds = idempotencyWindowSeconds
        self.hook = hook
    }

    var breakerKey: String { "scripted" }

    func send(_ message: OutgoingMessage) -> SendOutcome {
        hook?(message)
        lock.lock()
        defer { lock.unlock() }
        received.append(message)
        return script.isEmpty ? .sent : script.removeFirst()
    }

    /// Queues more outcomes.
    func then(_ outcomes: SendOutcome...) {
        lock.lock()
        script.append(contentsOf: outcomes)
        lock.unlock()
    }

    var messages: [OutgoingMessage] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }
}
