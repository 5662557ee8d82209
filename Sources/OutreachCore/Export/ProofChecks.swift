import Foundation


/// The verification queries of `proof.sql`: each counts violations of one invariant for a
/// campaign (its whole history, so a run's proof also vouches for what came before it).
///
/// They are the same SQL whether outreach runs them (for `summary.md`, `verify`) or a reviewer
/// runs `sqlite3 outreach.sqlite < proof.sql` (on PostgreSQL, `psql -X -A -t -F'|' -f proof.sql`),
/// and one text for both databases: the subset of SQL that SQLite and PostgreSQL (14 and up) run
/// unchanged (every subquery in FROM named, `coalesce`, 0/1 flags compared as integers, ISO 8601
/// text compared as text). They only read, and they compare commit order,
/// not timestamps (SPEC §9.6): every opt-out, job claim and run start and end carries a number
/// from one counter, taken inside its write transaction, so "listed before the job" is exact
/// even within one second, and a row planted by hand shows up. Window functions keep every
/// check O(n log n).
public enum ProofChecks {
    /// One check: a name, what a 0 proves, and its counting query.
    public struct Check: Sendable {
        public let name: String
        public let meaning: String
        let sql: @Sendable (Int64, String) -> String

        /// The query counting violations for a campaign and run.
        public func query(campaignID: Int64, runID: String) -> String { sql(campaignID, runID) }
    }

    /// A dispatch decision: one send (or proof record) of a job, at `decided_at`.
    private static let dispatchDecision = "d.decision IN ('dispatched', 'retry_dispatched')"

    /// Was list entry `x` in force when the claim numbered `seq` at instant `t` committed?
    /// (committed before it, not removed before it, and not expired at `t`)
    private static func inForce(_ x: String, seq: String, at t: String, removable: Bool, expiring: Bool) -> String {
        var parts = ["\(x).seq < \(seq)"]
        if removable { parts.append("(\(x).removed_seq IS NULL OR \(x).removed_seq > \(seq))") }
        if expiring { parts.append("(\(x).until IS NULL OR \(x).until > \(t))") }
        return parts.joined(separator: " AND ")
    }

    /// Jobs of the campaign whose creation, or any of whose dispatches, happened while the
    /// list entry matched by `match` (on lead `l` and entry `x`) was in force.
    private static func jobsWhileListed(campaignID: Int64, table: String, match: String, removable: Bool, expiring: Bool) -> String {
        """
        SELECT count(*) FROM jobs j JOIN leads l ON l.id = j.lead_id
        WHERE j.campaign_id = \(campaignID) AND EXISTS (
          SELECT 1 FROM \(table) x WHERE \(match) AND (
            \(inForce("x", seq: "j.seq", at: "j.created_at", removable: removable, expiring: expiring))
            OR EXISTS (SELECT 1 FROM decisions d WHERE d.lead_id = l.id AND d.job_id = j.id AND \(dispatchDecision)
                       AND \(inForce("x", seq: "d.seq", at: "d.decided_at", removable: removable, expiring: expiring)))))
        """
    }

    /// Every check, in the order `proof.sql` prints them.
    public static let all: [Check] = [
        Check(name: "duplicate_idempotency_keys",
              meaning: "No idempotency key has more than one job.") { campaign, _ in
            """
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE campaign_id = \(campaign) GROUP BY idempotency_key HAVING count(*) > 1) AS v
            """
        },
        Check(name: "same_step_twice",
              meaning: "No lead received the same step (by step id) twice.") { campaign, _ in
            """
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE campaign_id = \(campaign) GROUP BY lead_id, step_id HAVING count(*) > 1) AS v
            """
        },
        Check(name: "keys_sent_twice",
              meaning: "No job was recorded as sent (or proof-sent) by more than one dispatch.") { campaign, _ in
            """
            SELECT count(*) FROM (SELECT 1 FROM decisions d WHERE d.campaign_id = \(campaign) AND \(dispatchDecision)
              AND d.job_status IN ('sent', 'sent_proof') GROUP BY d.job_id HAVING count(*) > 1) AS v
            """
        },
        Check(name: "jobs_for_dnc_leads",
              meaning: "No job was created or dispatched for a lead after it was marked do-not-contact.") { campaign, _ in
            """
            SELECT count(*) FROM jobs j JOIN leads l ON l.id = j.lead_id
            WHERE j.campaign_id = \(campaign) AND l.dnc = 1 AND (l.dnc_seq < j.seq
              OR EXISTS (SELECT 1 FROM decisions d WHERE d.lead_id = l.id AND d.job_id = j.id AND \(dispatchDecision)
                         AND d.seq > l.dnc_seq))
            """
        },
        Check(name: "jobs_for_unsubscribed",
              meaning: "No job was created or dispatched for an address unsubscribed (globally or from this campaign) before it.") { campaign, _ in
            jobsWhileListed(campaignID: campaign, table: "unsubscribes",
                            match: "x.email = l.email AND (x.campaign_id IS NULL OR x.campaign_id = j.campaign_id)",
                            removable: false, expiring: false)
        },
        Check(name: "jobs_for_suppressed_email",
              meaning: "No job was created or dispatched while its address was suppressed.") { campaign, _ in
            jobsWhileListed(campaignID: campaign, table: "suppressions", match: "x.kind = 'email' AND x.value = l.email",
                            removable: true, expiring: true)
        },
        Check(name: "jobs_for_suppressed_domain",
              meaning: "No job was created or dispatched while its address's domain was suppressed.") { campaign, _ in
            jobsWhileListed(campaignID: campaign, table: "suppressions", match: "x.kind = 'domain' AND x.value = l.domain",
                            removable: true, expiring: true)
        },
        Check(name: "daily_quota_exceeded",
              meaning: "No campaign-local day had more dispatches than the daily quota in force.") { campaign, _ in
            """
            SELECT count(*) FROM (
              SELECT r.daily_quota AS quota, row_number() OVER (PARTITION BY d.quota_day ORDER BY d.id) AS n
              FROM decisions d JOIN runs r ON r.id = d.run_id
              WHERE d.campaign_id = \(campaign) AND d.quota_day IS NOT NULL) AS v
            WHERE n > quota
            """
        },
        Check(name: "per_tick_limit_exceeded",
              meaning: "No run dispatched more than its per-tick limit.") { campaign, _ in
            """
            SELECT count(*) FROM runs r WHERE r.campaign_id = \(campaign)
              AND (SELECT count(*) FROM decisions d WHERE d.run_id = r.id AND d.quota_day IS NOT NULL) > r.per_tick_limit
            """
        },
        Check(name: "overlapping_runs",
              meaning: "No two runs of the campaign overlapped in time (the lease held).") { campaign, _ in
            """
            SELECT count(*) FROM (
              SELECT seq, max(coalesce(finished_seq, 9223372036854775807)) OVER (
                ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
              FROM runs WHERE campaign_id = \(campaign)) AS v
            WHERE seq < earlier_end
            """
        },
        Check(name: "leads_advanced_without_job",
              meaning: "Every step a lead is counted as sent has a sent (or proof-sent) job.") { campaign, _ in
            """
            SELECT count(*) FROM leads l WHERE l.campaign_id = \(campaign) AND l.step_index > (
              SELECT count(*) FROM jobs j WHERE j.lead_id = l.id AND j.status IN ('sent', 'sent_proof'))
            """
        },
        Check(name: "jobs_without_decision",
              meaning: "Every job has the decision of the run that created it.") { campaign, _ in
            """
            SELECT count(*) FROM jobs j WHERE j.campaign_id = \(campaign) AND NOT EXISTS (
              SELECT 1 FROM decisions d WHERE d.run_id = j.run_id AND d.lead_id = j.lead_id AND d.job_id = j.id)
            """
        },
        Check(name: "run_counts_match",
              meaning: "The run's recorded dispatch count equals its dispatch decisions (every run's, for `verify`).") { campaign, run in
            """
            SELECT count(*) FROM runs r WHERE \(run.isEmpty ? "r.campaign_id = \(campaign)" : "r.id = '\(run)'") AND r.status != 'running'
              AND r.dispatched != (SELECT count(*) FROM decisions d WHERE d.run_id = r.id AND d.quota_day IS NOT NULL)
            """
        },
        // SPEC §12: the mailbox checks look at every send of the mailboxes this campaign used,
        // whichever campaign made it: the cap and gap are the mailbox's, shared by all.
        Check(name: "mailbox_cap_exceeded",
              meaning: "No mailbox sent more on a day of its zone than its cap (warm-up included) allowed, all campaigns together.") { campaign, _ in
            """
            SELECT count(*) FROM (
              SELECT s.allowance, row_number() OVER (PARTITION BY s.mailbox_id, s.day ORDER BY s.id) AS n FROM mailbox_sends s
              WHERE s.mailbox_id IN (SELECT mailbox_id FROM mailbox_sends WHERE campaign_id = \(campaign))) AS v WHERE n > allowance
            """
        },
        Check(name: "mailbox_gap_violated",
              meaning: "No two sends from one mailbox were closer than its minimum gap plus the jitter of the first.") { campaign, _ in
            """
            SELECT count(*) FROM (
              SELECT s.sent_at, lag(s.next_allowed_at) OVER (PARTITION BY s.mailbox_id ORDER BY s.id) AS allowed FROM mailbox_sends s
              WHERE s.mailbox_id IN (SELECT mailbox_id FROM mailbox_sends WHERE campaign_id = \(campaign))) AS v
            WHERE allowed IS NOT NULL AND sent_at < allowed
            """
        },
        Check(name: "lead_changed_sender",
              meaning: "Every message to a lead went from the address of its first message.") { campaign, _ in
            """
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE campaign_id = \(campaign) AND sender IS NOT NULL
                                  GROUP BY lead_id HAVING count(DISTINCT sender) > 1) AS v
            """
        },
    ]

    /// The text of `proof.sql` for a campaign and run, in the dialect of its database (SPEC §13):
    /// `sqlite3 outreach.sqlite < proof.sql` on SQLite and `psql -X -A -t -F'|' -f proof.sql URL`
    /// on PostgreSQL print the same lines, one `check_name|violations` per check, and nothing else.
    public static func script(campaignID: Int64, slug: String, runID: String, dialect: SQLDialect) -> String {
        // Run ids and slugs are validated where they enter (`RunID.make`, the campaign file);
        // one that is not well formed is left out of the SQL rather than quoted into it.
        let runID = RunID.isWellFormed(runID) ? runID : ""
        let slug = Slug.isValid(slug) ? slug : "?"
        var lines = ["-- outreach proof checks for campaign \(slug) (id \(campaignID)), run \(runID)."]
        switch dialect {
        case .sqlite:
            lines += [
                "-- Read-only. Run: sqlite3 outreach.sqlite < proof.sql",
                "-- Prints one line check_name|violations per check; every count is 0 on an honest database.",
                "PRAGMA query_only = ON;",
                ".headers off",
                ".mode list",
                ".separator |",
                "",
            ]
        case .postgres:
            // QUIET keeps psql's command tags (BEGIN, ROLLBACK) and \pset notices out of the
            // output; the \pset lines print the same lines when the flags are left out. One
            // read-only snapshot for every check; the first error stops the script (exit 3).
            lines += [
                "-- Read-only. Run: psql -X -A -t -F'|' -f proof.sql \"$OUTREACH_DB\"",
                "-- Prints one line check_name|violations per check; every count is 0 on an honest database.",
                "\\set QUIET on",
                "\\set ON_ERROR_STOP on",
                "\\pset format unaligned",
                "\\pset tuples_only on",
                "\\pset fieldsep '|'",
                "\\pset pager off",
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;",
                "",
            ]
        }
        for check in all {
            lines.append("-- \(check.name): \(check.meaning)")
            lines.append("SELECT '\(check.name)', (\(check.query(campaignID: campaignID, runID: runID)));")
            lines.append("")
        }
        if dialect == .postgres { lines += ["ROLLBACK;", ""] }
        return lines.joined(separator: "\n")
    }

    /// Runs every check; returns (name, violations) in order. An empty `runID` checks every
    /// run of the campaign (`outreach verify`).
    public static func run(_ db: any SQLConnection, campaignID: Int64, runID: String) throws -> [(check: Check, violations: Int)] {
        let runID = RunID.isWellFormed(runID) ? runID : ""
        return try all.map { check in
            (check, try Int.fetchOne(db, sql: "SELECT (\(check.query(campaignID: campaignID, runID: runID)))") ?? 0)
        }
    }
}
