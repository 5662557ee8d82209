-- Mailboxes and deliverability guardrails (SPEC §12).
--
-- A mailbox is a sending address shared by every campaign that sends from it. Its row is
-- also the arbiter of its limits: a send is claimed by one conditional UPDATE of the row
-- (status, daily cap with warm-up, minimum gap), so two ticks of different campaigns, in
-- different processes, can never both take the last unit or the same gap.

CREATE TABLE mailboxes (
    id               INTEGER PRIMARY KEY,
    address          TEXT NOT NULL UNIQUE CHECK (address = lower(trim(address)) AND address LIKE '_%@_%'),
    timezone         TEXT NOT NULL,                 -- the calendar day of daily_cap
    daily_cap        INTEGER NOT NULL CHECK (daily_cap BETWEEN 1 AND 10000),
    warmup_start     INTEGER CHECK (warmup_start >= 1),
    warmup_increase  INTEGER CHECK (warmup_increase >= 0),
    min_gap_seconds  INTEGER NOT NULL DEFAULT 0 CHECK (min_gap_seconds BETWEEN 0 AND 86400),
    jitter_seconds   INTEGER NOT NULL DEFAULT 0 CHECK (jitter_seconds BETWEEN 0 AND 86400),
    guardrails       TEXT,                          -- JSON; NULL: the defaults
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    status_reason    TEXT,
    auto_paused      INTEGER NOT NULL DEFAULT 0 CHECK (auto_paused IN (0, 1)),
    guardrails_since TEXT,                          -- the last resume: rates count from here
    -- What the conditional update keeps:
    day              TEXT,                          -- mailbox-local day of sent_today
    sent_today       INTEGER NOT NULL DEFAULT 0 CHECK (sent_today >= 0),
    first_send_day   TEXT,                          -- warm-up day 0
    last_send_at     TEXT,
    next_send_at     TEXT,                          -- no send before this instant (gap + jitter)
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((warmup_start IS NULL) = (warmup_increase IS NULL)),
    CHECK (warmup_start IS NULL OR warmup_start <= daily_cap)
);

-- One row per attempt claimed from a mailbox, with the limits in force when it was claimed:
-- the proof checks read the cap and gap of every send from here.
CREATE TABLE mailbox_sends (
    id              INTEGER PRIMARY KEY,
    mailbox_id      INTEGER NOT NULL REFERENCES mailboxes (id),
    job_id          INTEGER NOT NULL REFERENCES jobs (id),
    attempt         INTEGER NOT NULL,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    day             TEXT NOT NULL,                  -- mailbox-local day
    sent_at         TEXT NOT NULL,
    allowance       INTEGER NOT NULL,               -- the day's cap (warm-up included) at the claim
    next_allowed_at TEXT NOT NULL,                  -- sent_at + min_gap + this message's jitter
    UNIQUE (job_id, attempt)
);
CREATE INDEX mailbox_sends_day ON mailbox_sends (mailbox_id, day);
CREATE INDEX mailbox_sends_time ON mailbox_sends (mailbox_id, sent_at);

-- The address a lead is sent from: chosen at its first message, kept for every later one.
ALTER TABLE leads ADD COLUMN sender TEXT;
ALTER TABLE jobs ADD COLUMN sender TEXT;

-- The last resume of a campaign: its guardrail rates count from here.
ALTER TABLE campaigns ADD COLUMN guardrails_since TEXT;
ALTER TABLE campaigns ADD COLUMN auto_paused INTEGER NOT NULL DEFAULT 0 CHECK (auto_paused IN (0, 1));

-- Hard bounces and complaints, attributed to the campaign and sender of each lead they
-- matched; the guardrails count them over their window.
CREATE TABLE reputation_events (
    event_id    TEXT NOT NULL REFERENCES events (id),
    lead_id     INTEGER NOT NULL REFERENCES leads (id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    sender      TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('hard_bounce', 'complaint')),
    occurred_at TEXT NOT NULL,
    PRIMARY KEY (event_id, lead_id)
);
CREATE INDEX reputation_events_campaign ON reputation_events (campaign_id, occurred_at);
CREATE INDEX reputation_events_sender ON reputation_events (sender, occurred_at) WHERE sender IS NOT NULL;

-- MARK: Decisions, rebuilt for the new vocabulary (SQLite cannot change a CHECK in place)

CREATE TABLE decisions_v2 (
    id              INTEGER PRIMARY KEY,
    run_id          TEXT NOT NULL REFERENCES runs (id),
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    lead_id         INTEGER NOT NULL REFERENCES leads (id),
    step_index      INTEGER NOT NULL,
    decision        TEXT NOT NULL
                    CHECK (decision IN ('dispatched', 'retry_dispatched', 'skipped_dnc',
                                        'skipped_unsubscribed', 'skipped_suppressed_email',
                                        'skipped_suppressed_domain', 'skipped_window',
                                        'skipped_cooldown', 'skipped_quota', 'skipped_duplicate',
                                        'skipped_template_error', 'skipped_circuit_open',
                                        'skipped_mailbox_cap', 'skipped_mailbox_gap', 'skipped_mailbox_paused',
                                        'completed', 'stopped_kill_switch', 'stopped_paused',
                                        'stopped_lease_lost', 'stopped_auto_pause')),
    reason          TEXT,
    job_id          INTEGER REFERENCES jobs (id),
    job_status      TEXT,
    attempt         INTEGER,
    next_attempt_at TEXT,
    error           TEXT,
    quota_day       TEXT,
    status_after    TEXT NOT NULL,
    next_action_at  TEXT,
    decided_at      TEXT NOT NULL,
    seq             INTEGER,
    UNIQUE (run_id, lead_id),
    CHECK ((quota_day IS NOT NULL) = (decision IN ('dispatched', 'retry_dispatched')))
);
INSERT INTO decisions_v2 (id, run_id, campaign_id, lead_id, step_index, decision, reason, job_id, job_status, attempt,
                          next_attempt_at, error, quota_day, status_after, next_action_at, decided_at, seq)
SELECT id, run_id, campaign_id, lead_id, step_index, decision, reason, job_id, job_status, attempt,
       next_attempt_at, error, quota_day, status_after, next_action_at, decided_at, seq
FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_v2 RENAME TO decisions;
CREATE INDEX decisions_quota ON decisions (campaign_id, quota_day) WHERE quota_day IS NOT NULL;
CREATE INDEX decisions_lead ON decisions (lead_id);
CREATE TRIGGER decisions_seq AFTER INSERT ON decisions
WHEN NEW.seq IS NULL AND NEW.decision IN ('dispatched', 'retry_dispatched')
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE decisions SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
