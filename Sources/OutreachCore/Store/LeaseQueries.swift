import Foundation

/// A campaign's lease as stored.
public struct Lease: Sendable, Equatable {
    public let campaignID: Int64
    public let owner: String?
    public let runID: String?
    public let acquiredAt: Date?
    public let expiresAt: Date?
    public let fencingToken: Int64

    /// True when someone holds the lease at `instant`.
    public func isHeld(at instant: Date) -> Bool {
        guard owner != nil, let expiresAt else { return false }
        return instant < expiresAt
    }
}

/// What a tick holds while it runs: its owner string and fencing token.
///
/// `expiresAt` is on the lease clock (the database server's on PostgreSQL); `renewedAt` is
/// this host's clock when it was taken or renewed, and `renewedAtUptime` the monotonic time
/// then. Renewal comes once half the lease has passed by either: the injected clock (tests
/// move it) or real elapsed time, which a frozen `--now` does not stop, so a lease judged by
/// the server's clock is renewed in time however far this host's clock is from the server's.
public struct LeaseGrant: Sendable, Equatable {
    public let campaignID: Int64
    public let owner: String
    public let fencingToken: Int64
    public let runID: String
    public let leaseSeconds: Int
    /// When the lease was last taken or renewed.
    public var renewedAt: Date
    public var renewedAtUptime: TimeInterval = ProcessInfo.processInfo.systemUptime
    public var expiresAt: Date

    /// True when half the lease has passed and it should be renewed.
    public func needsRenewal(at instant: Date) -> Bool {
        instant.timeIntervalSince(renewedAt) * 2 >= Double(leaseSeconds)
            || (ProcessInfo.processInfo.systemUptime - renewedAtUptime) * 2 >= Double(leaseSeconds)
    }
}

/// The SQL of the per-campaign lease. Every function runs inside the caller's
/// `BEGIN IMMEDIATE` transaction, which is what makes check-then-set atomic.
public enum LeaseQueries {
    /// The lease row of a campaign.
    public static func read(_ db: any SQLConnection, campaignID: Int64) throws -> Lease {
        let row = try SQLRecord.fetchOne(db, sql: """
            SELECT owner, run_id, acquired_at, expires_at, fencing_token FROM leases WHERE campaign_id = ?
            """, arguments: [campaignID])
        guard let row else {
            throw OutreachError.unexpected("Campaign \(campaignID) has no lease row; the database was edited by hand.")
        }
        return Lease(campaignID: campaignID, owner: row[0], runID: row[1],
                     acquiredAt: (row[2] as String?).flatMap(Timestamp.parse),
                     expiresAt: (row[3] as String?).flatMap(Timestamp.parse), fencingToken: row[4])
    }

    /// Why an existing lease could be taken over.
    enum Takeover {
        case expired(at: Date)
        case ownerDead
    }

    /// Takes the lease if it is free, expired, or held by a process of this host that no
    /// longer exists; throws `temporary` (exit 75) when someone else holds it.
    /// `runID` makes the run id from the new fencing token.
    static func acquire(_ db: any SQLConnection, campaignID: Int64, slug: String, owner: String, now hostNow: Date, seconds: Int,
                        isOwnerAlive: (String) -> Bool, runID: (Int64) -> String)
        throws -> (grant: LeaseGrant, takeover: (previousOwner: String, reason: Takeover)?)
    {
        let now = try clock(db, host: hostNow)
        let lease = try read(db, campaignID: campaignID)
        var takeover: (String, Takeover)?
        if let holder = lease.owner, let expiresAt = lease.expiresAt {
            if now < expiresAt {
                guard !isOwnerAlive(holder) else { throw busy(slug: slug, holder: holder, until: expiresAt) }
                takeover = (holder, .ownerDead)
            } else {
                takeover = (holder, .expired(at: expiresAt))
            }
        }
        if let (_, reason) = takeover {
            switch reason {
            case .expired(let at): try RunQueries.closeAbandoned(db, campaignID: campaignID, at: at, reason: .leaseExpired)
            case .ownerDead: try RunQueries.closeAbandoned(db, campaignID: campaignID, at: hostNow, reason: .leaseLost)
            }
        }
        let token = lease.fencingToken + 1
        let id = runID(token)
        let expires = now.addingTimeInterval(Double(seconds))
        try db.execute(sql: """
            UPDATE leases SET owner = ?, run_id = ?, acquired_at = ?, expires_at = ?, fencing_token = ? WHERE campaign_id = ?
            """, arguments: [owner, id, Timestamp.format(now), Timestamp.format(expires), token, campaignID])
        let grant = LeaseGrant(campaignID: campaignID, owner: owner, fencingToken: token, runID: id, leaseSeconds: seconds,
                               renewedAt: hostNow, expiresAt: expires)
        return (grant, takeover)
    }

    /// Throws the "being ticked" error (exit 75) when another live process holds the lease,
    /// by the same rules as `acquire`, without writing. Several hosts running `tick --all`
    /// mostly find campaigns busy; a read answers that without queueing for the write lock.
    /// `acquire` decides again inside the write transaction.
    static func requireAvailable(_ db: any SQLConnection, campaignID: Int64, slug: String, now hostNow: Date,
                                 isOwnerAlive: (String) -> Bool) throws {
        let lease = try read(db, campaignID: campaignID)
        guard let holder = lease.owner, let expiresAt = lease.expiresAt, isOwnerAlive(holder) else { return }
        if try clock(db, host: hostNow) < expiresAt { throw busy(slug: slug, holder: holder, until: expiresAt) }
    }

    private static func busy(slug: String, holder: String, until expiresAt: Date) -> OutreachError {
        .temporary("Campaign \(slug) is being ticked by \(holder) until \(Timestamp.format(expiresAt)); this tick did nothing. Try again later.")
    }

    /// True when the grant is still the current lease (same owner and token). Every write of a
    /// tick checks this inside its transaction; a false means another process took over.
    static func isCurrent(_ db: any SQLConnection, _ grant: LeaseGrant) throws -> Bool {
        try db.first("SELECT owner, fencing_token FROM leases WHERE campaign_id = ?", [.int(grant.campaignID)]) {
            $0.string(0) == grant.owner && $0.int64(1) == grant.fencingToken
        } ?? false
    }

    /// Extends the lease to `now + seconds`.
    static func renew(_ db: any SQLConnection, _ grant: inout LeaseGrant, now hostNow: Date) throws {
        let expires = try clock(db, host: hostNow).addingTimeInterval(Double(grant.leaseSeconds))
        try db.execute(sql: "UPDATE leases SET expires_at = ? WHERE campaign_id = ? AND fencing_token = ? AND owner = ?",
                       arguments: [Timestamp.format(expires), grant.campaignID, grant.fencingToken, grant.owner])
        grant.renewedAt = hostNow
        grant.renewedAtUptime = ProcessInfo.processInfo.systemUptime
        grant.expiresAt = expires
    }

    /// The instant leases are judged by. On SQLite, one host: its clock (or `--now`). On
    /// PostgreSQL, hosts' clocks may disagree, so the database server's clock decides when a
    /// lease expires, for every host alike (SPEC §13); whole seconds, as stored.
    static func clock(_ db: any SQLConnection, host: Date) throws -> Date {
        guard db.dialect == .postgres,
              let seconds = try Int64.fetchOne(db, sql: "SELECT CAST(floor(extract(epoch FROM clock_timestamp())) AS BIGINT)")
        else { return host }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    /// Frees the lease if it is still ours.
    static func release(_ db: any SQLConnection, _ grant: LeaseGrant) throws {
        try db.execute(sql: """
            UPDATE leases SET owner = NULL, run_id = NULL, expires_at = NULL WHERE campaign_id = ? AND fencing_token = ? AND owner = ?
            """, arguments: [grant.campaignID, grant.fencingToken, grant.owner])
    }
}
