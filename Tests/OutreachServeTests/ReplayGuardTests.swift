import Foundation
import Testing
@testable import OutreachServe

@Suite("ReplayGuard")
struct ReplayGuardTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    @Test func freshRetryReplay() {
        let guardian = ReplayGuard()
        let expiry = now.addingTimeInterval(300)
        #expect(guardian.check(token: "a", bodyDigest: [1], expiresAt: expiry, now: now) == .fresh)
        #expect(guardian.check(token: "a", bodyDigest: [1], expiresAt: expiry, now: now) == .retry)
        #expect(guardian.check(token: "a", bodyDigest: [2], expiresAt: expiry, now: now) == .replay)
        #expect(guardian.check(token: "b", bodyDigest: [2], expiresAt: expiry, now: now) == .fresh)
    }

    @Test func expiredTokensAreForgotten() {
        let guardian = ReplayGuard()
        _ = guardian.check(token: "a", bodyDigest: [1], expiresAt: now.addingTimeInterval(10), now: now)
        _ = guardian.check(token: "b", bodyDigest: [1], expiresAt: now.addingTimeInterval(100), now: now)
        #expect(guardian.count == 2)
        #expect(guardian.check(token: "c", bodyDigest: [1], expiresAt: now.addingTimeInterval(100), now: now.addingTimeInterval(11)) == .fresh)
        #expect(guardian.count == 2)
    }

    @Test func capacityDropsTheOldest() {
        let guardian = ReplayGuard(capacity: 3)
        let expiry = now.addingTimeInterval(300)
        for token in ["a", "b", "c", "d"] {
            #expect(guardian.check(token: token, bodyDigest: [0], expiresAt: expiry, now: now) == .fresh)
        }
        #expect(guardian.count == 3)
        #expect(guardian.check(token: "d", bodyDigest: [9], expiresAt: expiry, now: now) == .replay)
        #expect(guardian.check(token: "a", bodyDigest: [9], expiresAt: expiry, now: now) == .fresh)
    }

    @Test func concurrentUseCountsEachTokenOnce() async {
        let guardian = ReplayGuard()
        let expiry = now.addingTimeInterval(300)
        let now = self.now
        let fresh = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var count = 0
                    for i in 0..<2000 where guardian.check(token: "t\((i + worker * 250) % 4000)", bodyDigest: [1], expiresAt: expiry, now: now) == .fresh {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(fresh == guardian.count)
        #expect(fresh == 3750)
    }
}
