import Foundation
import Testing

/// The model-based chaos test: `Fixtures/chaos.py` drives the built binary through a seeded
/// random mix of lead imports, opt-outs (unsubscribe, suppression, DNC), step inserts, removals
/// and reorders, live ticks whose sendmail (`Fixtures/ledger-sendmail`) fails, times out or
/// lingers on cue, `kill -9` of ticks and SIGSTOP/SIGCONT of ticks past their lease. After every
/// operation it replays the ledger of what sendmail accepted and inspects the database: no
/// step twice, nothing after an opt-out, the proof checks, and at the end no lead lost.
///
/// `OUTREACH_SOAK_SECONDS=600 swift test --filter ChaosTests` runs one long run with a random
/// seed instead of the fixed seeds. A failure prints the seed and the command that replays it.
@Suite("Chaos: no step twice, nothing after an opt-out, no lead lost", .serialized)
struct ChaosTests {
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chaos.py").path

    /// Seconds of the soak run, when `OUTREACH_SOAK_SECONDS` asks for one.
    static let soakSeconds: Int? = ProcessInfo.processInfo.environment["OUTREACH_SOAK_SECONDS"].flatMap { Int($0) }

    /// The driver needs python3 (standard library only) and the sqlite3 CLI (for `proof.sql`).
    static let python3 = executable(named: "python3")
    static let toolsPresent = python3 != nil && executable(named: "sqlite3") != nil

    @Test("fixed seeds keep the promise", .enabled(if: ChaosTests.toolsPresent, "needs python3 and sqlite3 on PATH"),
          .enabled(if: ChaosTests.soakSeconds == nil, "OUTREACH_SOAK_SECONDS is set: the soak run replaces the fixed seeds"),
          arguments: [11, 29])
    func fixedSeed(seed: Int) throws {
        try runChaos(seed: seed, ops: 50, seconds: 40)
    }

    @Test("soak: one long run with a random seed", .enabled(if: ChaosTests.toolsPresent, "needs python3 and sqlite3 on PATH"),
          .enabled(if: ChaosTests.soakSeconds != nil, "set OUTREACH_SOAK_SECONDS to run it"))
    func soak() throws {
        let seed = Int.random(in: 1...Int(Int32.max))
        print("chaos soak: seed \(seed) for \(Self.soakSeconds ?? 0)s")
        try runChaos(seed: seed, ops: 1_000_000, seconds: Self.soakSeconds ?? 0)
    }

    /// Runs the driver; it exits 0 when every check passed and prints one summary line.
    /// The work folder (database, ledger, ops.log) is kept when the run fails.
    func runChaos(seed: Int, ops: Int, seconds: Int) throws {
        let python = try #require(Self.python3)
        let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("outreach-chaos-\(seed)-\(UUID().uuidString)").path
        let result = try runProcess(python, [
            Self.driver, "--binary", CLI.binary, "--seed", String(seed), "--ops", String(ops),
            "--seconds", String(seconds), "--workdir", workdir,
        ])
        let summary = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        print(summary)
        #expect(result.status == 0, "chaos.py exited \(result.status) (work folder \(workdir)):\n\(result.stdout)\(result.stderr)")
        if result.status == 0 { try? FileManager.default.removeItem(atPath: workdir) }
    }

    /// The first executable called `name` on PATH.
    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
