import Foundation

/// The jobs' and runs' transactions: `jobs list|retry|cancel` and `runs list`.
extension Store {
    /// Hands every job of a campaign (optionally of one status) to `body`, oldest first, from
    /// one snapshot; rows are streamed, not collected.
    public func forEachJob(ofCampaign slug: String, status: JobStatus?, _ body: (JobListing) throws -> Void) throws {
        try read("listing jobs of \(slug)") { db in
            let stored = try CampaignQueries.require(db, slug: slug)
            try JobQueries.forEach(db, campaignID: stored.id, status: status, body)
        }
    }

    /// `jobs retry`: schedules a failed, dead or unknown live job for the next live tick. The
    /// status check, the job's update and its lead's return to waiting are one transaction,
    /// so a tick never sees the job scheduled while its lead still counts as failed, and a job
    /// another process settled meanwhile is refused rather than re-sent.
    public func retryJob(id jobID: Int64, clock: any WallClock) throws -> Job {
        try write("scheduling job \(jobID) for retry") { db in try JobQueries.scheduleRetry(db, jobID: jobID, now: clock.now()) }
    }

    /// `jobs cancel`: the job is never sent and its lead leaves the sequence as failed, both
    /// in one transaction, so the lead is reported rather than lost or left waiting forever.
    public func cancelJob(id jobID: Int64, clock: any WallClock) throws -> Job {
        try write("cancelling job \(jobID)") { db in try JobQueries.cancel(db, jobID: jobID, now: clock.now()) }
    }

    /// A campaign's runs, newest first.
    public func runs(ofCampaign slug: String) throws -> [Run] {
        try read("listing runs of \(slug)") { db in
            try RunQueries.list(db, campaignID: try CampaignQueries.require(db, slug: slug).id)
        }
    }
}
