/// The statuses and decisions of SPEC §4.1, as the database stores them (CHECK constraints in
/// `0001_init.sql` hold the same lists).

/// Where a lead is in its sequence.
public enum LeadStatus: String, Sendable, CaseIterable, Codable {
    /// Imported, never contacted; due from its import time.
    case new
    /// Contacted at least once and still in sequence (due at `next_action_at`).
    case active
    /// Every step was sent, or the campaign has no further step.
    case completed
    /// A reply stopped the sequence.
    case replied
    /// A hard bounce (or three soft ones) stopped the sequence.
    case bounced
    /// DNC, unsubscribe or suppression: never contacted again by this campaign.
    case blocked
    /// Its job failed for good, or an operator cancelled it.
    case failed
}

/// The life of a distribution job.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    /// Claimed and durably committed; being handed to the transport. A job still here after
    /// its run ended was interrupted mid-send and becomes `unknown`.
    case dispatching
    /// Accepted by the transport (live).
    case sent
    /// Recorded without sending (proof mode).
    case sentProof = "sent_proof"
    /// Failed transiently; the tick retries it at `next_attempt_at`.
    case retryScheduled = "retry_scheduled"
    /// Failed permanently; only `jobs retry` sends it again.
    case failed
    /// Out of attempts; only `jobs retry` sends it again.
    case dead
    /// Its outcome is not known (crash between claim and result); never re-sent automatically.
    case unknown
    /// Stopped by an operator or by a block before it could be retried.
    case cancelled

    /// Statuses an operator may re-dispatch with `jobs retry`.
    public static let retryable: Set<JobStatus> = [.failed, .dead, .unknown]
    /// Statuses an operator may cancel with `jobs cancel`.
    public static let cancellable: Set<JobStatus> = [.retryScheduled, .unknown, .failed, .dead]
}

/// What the tick decided for one lead in one run.
public enum DecisionKind: String, Sendable, CaseIterable, Codable {
    case dispatched
    case retryDispatched = "retry_dispatched"
    case skippedDNC = "skipped_dnc"
    case skippedUnsubscribed = "skipped_unsubscribed"
    case skippedSuppressedEmail = "skipped_suppressed_email"
    case skippedSuppressedDomain = "skipped_suppressed_domain"
    case skippedWindow = "skipped_window"
    case skippedCooldown = "skipped_cooldown"
    case skippedQuota = "skipped_quota"
    case skippedDuplicate = "skipped_duplicate"
    case skippedTemplateError = "skipped_template_error"
    case skippedCircuitOpen = "skipped_circuit_open"
    /// The lead's mailbox sent its allowance for the day (cap or warm-up) (SPEC §12).
    case skippedMailboxCap = "skipped_mailbox_cap"
    /// The lead's mailbox sent too recently (minimum gap plus jitter).
    case skippedMailboxGap = "skipped_mailbox_gap"
    /// The lead's mailbox is paused, by an operator or its guardrails.
    case skippedMailboxPaused = "skipped_mailbox_paused"
    case completed
    case stoppedKillSwitch = "stopped_kill_switch"
    case stoppedPaused = "stopped_paused"
    case stoppedLeaseLost = "stopped_lease_lost"
    /// The campaign's guardrails paused it during this run (SPEC §12).
    case stoppedAutoPause = "stopped_auto_pause"

    /// Decisions that used a unit of the daily quota.
    public var isDispatch: Bool { self == .dispatched || self == .retryDispatched }

    /// Decisions that removed the lead from the due set for compliance reasons.
    public var isBlock: Bool {
        [.skippedDNC, .skippedUnsubscribed, .skippedSuppressedEmail, .skippedSuppressedDomain].contains(self)
    }
}

/// How a run ended.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case running
    /// The tick did its work: nothing more was due, or the per-tick limit was reached.
    case completed
    /// A gate or an operator stopped it (pause, kill switch, window, quota, breaker, signal).
    case stopped
    /// Another process took the lease; this run wrote nothing after noticing.
    case leaseLost = "lease_lost"
    /// An error ended it, or it was abandoned (crash) and a later run closed it.
    case failed
}

/// Whether dispatch really sends.
public enum DispatchMode: String, Sendable, CaseIterable, Codable {
    /// Records jobs as `sent_proof` and advances leads without sending anything.
    case proof
    /// Sends through the campaign's transport.
    case live
}

/// Why a run stopped early or ended (runs.stop_reason).
public enum StopReason: String, Sendable, Codable {
    case paused
    case archived
    case killSwitch = "kill_switch"
    case unapproved
    case outsideWindow = "outside_window"
    case dailyQuota = "daily_quota"
    case perTickLimit = "per_tick_limit"
    case circuitOpen = "circuit_open"
    /// The campaign's bounce or complaint rate reached its guardrail (SPEC §12).
    case autoPause = "auto_pause"
    case signal
    case leaseLost = "lease_lost"
    case leaseExpired = "lease_expired"
    case error
}
