import Foundation
import Testing
@testable import OutreachServe

/// Clicks arriving together share one transaction, and each caller gets its own answer.
@Suite("serve: group commit")
struct GroupCommitTests {
    final class Batches: @unchecked Sendable {
        let lock = NSLock()
        var sizes: [Int] = []
    }

    @Test("40 concurrent submissions: every one gets its own output, in fewer batches than submissions; a failed batch fails its callers")
    func batches() throws {
        let batches = Batches()
        let commit = GroupCommit<Int, Int> { inputs in
            batches.lock.withLock { batches.sizes.append(inputs.count) }
            Thread.sleep(forTimeInterval: 0.02)  // a transaction that takes a moment
            if inputs.contains(-1) { throw CancellationError() }
            return inputs.map { $0 * 10 }
        }
        let outputs = Batches()
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            let output = (try? commit.submit(index)) ?? -999
            outputs.lock.withLock { outputs.sizes.append(output - index * 10) }
        }
        #expect(outputs.sizes == Array(repeating: 0, count: 40), "each caller got input × 10")
        #expect(batches.sizes.reduce(0, +) == 40)
        #expect(batches.sizes.count < 40, "submissions shared batches: \(batches.sizes)")
        #expect(throws: CancellationError.self) { try commit.submit(-1) }
    }
}
