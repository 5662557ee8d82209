import Foundation
import Logging

/// One tick of one campaign (SPEC §4): lease, gates, recovery, retries, due leads, finish.
///
/// Proof mode commits leads in groups (up to `groupSize` leads or `groupDuration`, whichever
/// comes first); each group is one transaction that first checks the lease token, the pause
/// and the kill switch, so those are honoured before every dispatch while the write lock
/// makes them impossible to change mid-group. Live mode commits each claim (`dispatching`)
/// before sending and records the result in a second transaction. A crash loses at most the
/// uncommitted group, which the next tick redoes exactly once (its idempotency keys were
/// never committed).
public struct Tick {
    let request: TickRequest
    let dependencies: TickDependencies

    public init(request: TickRequest, dependencies: TickDependencies) {
        self.request = request
        self.dependencies = dependencies
    }

    /// Runs the tick with real commits, or, for a dry run, inside one transaction that is
    /// rolled back at the end.
    public func run(store: Store) throws -> TickReport {
        try run(store: store, artifacts: nil).report
    }

    /// Runs the tick in the given transactions (a `Store`, or the savepoints of a dry run).
    func run(in scope: any DatabaseScope) throws -> TickReport {
        let state = try start(scope)
        let run = TickRun(request: request, dependencies: dependencies, scope: scope, state: state)
        return try run.execute()
    }

    /// Takes the lease and records the run.
    private func start(_ scope: any DatabaseScope) throws -> TickRun.State {
        let clock = dependencies.clock
        // A campaign another live process is ticking is found in a read: hosts running
        // `tick --all` side by side then never queue for the write lock just to learn that.
        try scope.read("checking the lease of \(request.slug)") { db in
            let stored = try CampaignQueries.require(db, slug: request.slug)
            // A missing secret is reported before a busy lease, as the write below orders them.
            _ = try MessageBuilder.unsubscribeSecret(of: stored.campaign, in: dependencies.secrets)
            try LeaseQueries.requireAvailable(db, campaignID: stored.id, slug: stored.slug, now: clock.now(),
                                              isOwnerAlive: dependencies.isOwnerAlive)
        }
        return try scope.write("starting a tick of \(request.slug)") { db in
            let stored = try CampaignQueries.require(db, slug: request.slug)
            let campaign = stored.campaign
            // Secrets and transport first: a missing variable fails the tick before it writes anything.
            _ = try MessageBuilder.unsubscribeSecret(of: campaign, in: dependencies.secrets)
            let transport: any Transport = switch request.mode {
            case .proof: ProofTransport()
            case .live: request.dryRun ? DryRunTransport() : try dependencies.makeTransport(campaign)
            }
            let now = clock.now()
            // SPEC §9.7: a clock behind what the database recorded would re-open quotas and
            // cooldowns. A dry run changes nothing, so it may look at the past.
            if !request.dryRun { try SafetyQueries.guardClock(db, now: now) }
            let installationID = try SafetyQueries.installationID(db)
            let (grant, takeover) = try LeaseQueries.acquire(
                db, campaignID: stored.id, slug: stored.slug, owner: dependencies.owner, now: now,
                seconds: request.leaseSeconds, isOwnerAlive: dependencies.isOwnerAlive,
                runID: { token in
                    RunID.make(startedAt: now, campaignID: stored.id, fencingToken: token, dryRun: request.dryRun)
                })
            if let takeover {
                dependencies.logger.warning("took over the lease of \(takeover.previousOwner)", metadata: [
                    "campaign": .string(stored.slug), "run_id": .string(grant.runID),
                    "reason": .string({ if case .ownerDead = takeover.reason { "owner process gone" } else { "lease expired" } }()),
                ])
            }
            let quotaDay = QuotaDay.of(now, in: campaign.timeZone)
            let perTick = min(campaign.limits.perTick, request.limit ?? Int.max)
            let run = Run(
                id: grant.runID, campaignID: stored.id, mode: request.mode, dryRun: request.dryRun, status: .running,
                stopReason: nil, owner: dependencies.owner, fencingToken: grant.fencingToken, startedAt: now,
                finishedAt: nil, durationMs: nil, counters: RunCounters(), perTickLimit: perTick,
                dailyQuota: campaign.limits.dailyQuota, quotaDay: quotaDay, contentHash: stored.contentHash,
                toolVersion: dependencies.toolVersion)
            try RunQueries.insert(db, run)
            let used = try TickQueries.quotaUsed(db, campaignID: stored.id, day: quotaDay)
            return TickRun.State(stored: stored, grant: grant, startedAt: now, perTickLimit: perTick,
                                 quotaDay: quotaDay, quotaUsed: used, transport: transport, installationID: installationID)
        }
    }
}

/// Run ids: `20261121T140500Z-c3-t42` (start time, campaign id, fencing token), with `-dry`
/// for dry runs. Path-safe by construction and unique in the database.
public enum RunID {
    public static func make(startedAt: Date, campaignID: Int64, fencingToken: Int64, dryRun: Bool) -> String {
        let stamp = Timestamp.format(startedAt).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        return "\(stamp)-c\(campaignID)-t\(fencingToken)\(dryRun ? "-dry" : "")"
    }

    /// True for strings a run id can be (`[0-9A-Za-z-]`, 1 to 64 characters).
    public static func isWellFormed(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
    }
}

/// Thrown inside a tick's transaction when its fencing token is no longer current.
struct LeaseLost: Error {}
