import Foundation
import Logging

/// What one tick of one campaign is asked to do (the flags of `outreach tick`).
public struct TickRequest: Sendable {
    public var slug: String
    public var mode: DispatchMode
    /// Run everything, then roll every database change back.
    public var dryRun: Bool
    /// Lowers the campaign's per-tick limit for this tick (never raises it).
    public var limit: Int?
    public var leaseSeconds: Int
    /// Leads per group commit in proof mode (each group is one transaction).
    public var groupSize: Int
    /// A group commits early once it has run this long, so other writers wait at most this.
    public var groupDuration: Duration

    public init(slug: String, mode: DispatchMode = .proof, dryRun: Bool = false, limit: Int? = nil,
                leaseSeconds: Int = 300, groupSize: Int = 500, groupDuration: Duration = .milliseconds(100)) {
        self.slug = slug
        self.mode = mode
        self.dryRun = dryRun
        self.limit = limit
        self.leaseSeconds = leaseSeconds
        self.groupSize = groupSize
        self.groupDuration = groupDuration
    }
}

/// Everything a tick needs from the outside world, injected so tests control each part.
public struct TickDependencies: Sendable {
    public var clock: any WallClock
    public var secrets: SecretEnvironment
    /// This process's lease owner string (`host:pid:random`).
    public var owner: String
    /// Whether a lease owner is still running (see `LeaseOwner.isAlive`).
    public var isOwnerAlive: @Sendable (String) -> Bool
    /// Builds the transport for live ticks.
    public var makeTransport: @Sendable (Campaign) throws -> any Transport
    public var logger: Logger
    /// Set by SIGINT/SIGTERM: finish the current lead and stop.
    public var stopFlag: StopFlag?
    /// Called after every commit of the tick (tests use it to act between leads).
    public var afterCommit: (@Sendable () -> Void)?
    public var toolVersion: String

    public init(clock: any WallClock, secrets: SecretEnvironment, owner: String,
                isOwnerAlive: @escaping @Sendable (String) -> Bool = LeaseOwner.isAlive,
                makeTransport: @escaping @Sendable (Campaign) throws -> any Transport = { _ in ProofTransport() },
                logger: Logger = Logger(label: "outreach"), stopFlag: StopFlag? = nil,
                afterCommit: (@Sendable () -> Void)? = nil, toolVersion: String = OutreachVersion.current) {
        self.clock = clock
        self.secrets = secrets
        self.owner = owner
        self.isOwnerAlive = isOwnerAlive
        self.makeTransport = makeTransport
        self.logger = logger
        self.stopFlag = stopFlag
        self.afterCommit = afterCommit
        self.toolVersion = toolVersion
    }
}

/// The version of outreach, written into runs and manifests.
public enum OutreachVersion {
    public static let current = "0.1.0"
}

/// A flag a signal handler sets and the tick reads before every lead; `run` also sleeps on it
/// between ticks, so a signal ends the wait at once.
public final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var value = false

    public init() {}

    /// Asks running ticks to stop after the current lead.
    public func set() {
        condition.lock()
        value = true
        condition.broadcast()
        condition.unlock()
    }

    public var isSet: Bool {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    /// Waits up to `seconds`; returns true when the flag was set meanwhile.
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !value, condition.wait(until: deadline) {}
        return value
    }
}

/// Lease owner strings, `host:pid:random`, and whether their process still exists.
public enum LeaseOwner {
    /// A fresh owner string for this process.
    public static func make() -> String {
        "\(hostName()):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// False only when the owner is a process of this host that no longer exists, so a lease
    /// left by a killed tick on this machine can be taken at once instead of after it expires.
    /// Owners on other hosts are assumed alive (hosts sharing a database need distinct names).
    public static func isAlive(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count >= 3, String(parts[0]) == hostName(), let pid = Int32(parts[1]), pid > 0 else { return true }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH
    }

    /// This host's name in owner strings: `OUTREACH_HOST` when set (containers often share
    /// host names, SPEC §13), else the system's host name.
    static func hostName() -> String {
        if let name = ProcessInfo.processInfo.environment["OUTREACH_HOST"], !name.isEmpty {
            return name.replacingOccurrences(of: ":", with: "_")
        }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: ":", with: "_")
    }
}
