import Foundation

/// Runs the writes that request threads hand in together, in batches, on one thread: a
/// click waits for the transaction that carries it, and clicks arriving while one commits
/// share the next transaction (group commit). With SQLite's single writer this is what
/// lets many clicks per second through, and it keeps each waiting at most one batch.
final class GroupCommit<Input: Sendable, Output: Sendable>: @unchecked Sendable {  // All state is guarded by `condition`.
    private final class Slot {
        var result: Result<Output, any Error>?
    }

    private let condition = NSCondition()
    private var pending: [(Input, Slot)] = []
    private let maxBatch: Int
    private let work: @Sendable ([Input]) throws -> [Output]

    /// `work` gets a batch and returns one output per input, in order.
    init(maxBatch: Int = 256, work: @escaping @Sendable ([Input]) throws -> [Output]) {
        self.maxBatch = maxBatch
        self.work = work
        let thread = Thread { [self] in loop() }
        thread.name = "group-commit"
        thread.start()
    }

    /// Hands `input` in and waits for its batch to commit.
    func submit(_ input: Input) throws -> Output {
        let slot = Slot()
        condition.lock()
        pending.append((input, slot))
        condition.broadcast()
        while slot.result == nil { condition.wait() }
        condition.unlock()
        return try slot.result!.get()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            condition.unlock()
            let results: [Result<Output, any Error>]
            do {
                let outputs = try work(batch.map(\.0))
                results = outputs.count == batch.count ? outputs.map { .success($0) }
                    : batch.map { _ in .failure(CancellationError()) }
            } catch {
                results = batch.map { _ in .failure(error) }
            }
            condition.lock()
            for (index, item) in batch.enumerated() { item.1.result = results[index] }
            condition.broadcast()
            condition.unlock()
        }
    }
}
