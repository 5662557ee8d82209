-- outreach schema, version 1.
--
-- The database is the source of truth: constraints enforce what must never happen
-- (one job per idempotency key, one job per lead and step, one run per fencing token,
-- closed status vocabularies). Timestamps are ISO 8601 UTC text with whole seconds
-- ('2026-11-21T14:05:00Z'): fixed width, so text order is time order.
-- This file is never edited after it lands; later changes go in 0002_*.sql and up.

-- MARK: Campaigns

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE
                  CHECK (length(slug) BETWEEN 1 AND 64 AND slug NOT GLOB '*[^a-z0-9-]*'),
    name          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
    status_reason TEXT,
    definition    TEXT NOT NULL,                 -- canonical JSON of the applied campaign file
    content_hash  TEXT NOT NULL,                 -- SHA-256 of sender, steps, unsubscribe settings
    per_tick      INTEGER NOT NULL CHECK (per_tick >= 0),
    daily_quota   INTEGER NOT NULL CHECK (daily_quota >= 0),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Who approved which content; a campaign is approved when a row matches its current hash.
CREATE TABLE campaign_approvals (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    content_hash TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    approved_at  TEXT NOT NULL
);
CREATE INDEX campaign_approvals_campaign ON campaign_approvals (campaign_id, content_hash);

-- One lease per campaign. owner IS NULL means free; the fencing token only ever grows.
CREATE TABLE leases (
    campaign_id   INTEGER PRIMARY KEY REFERENCES campaigns (id),
    owner         TEXT,
    run_id        TEXT,
    acquired_at   TEXT,
    expires_at    TEXT,
    fencing_token INTEGER NOT NULL DEFAULT 0 CHECK (fencing_token >= 0),
    CHECK ((owner IS NULL) = (expires_at IS NULL))
);

-- MARK: Leads

CREATE TABLE leads (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES campaigns (id),
    email             TEXT NOT NULL CHECK (email = lower(trim(email)) AND email LIKE '_%@_%'),
    domain            TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL,
    first_name        TEXT,
    last_name         TEXT,
    company           TEXT,
    timezone          TEXT,
    attributes        TEXT NOT NULL DEFAULT '{}', -- JSON object of the extra CSV columns
    status            TEXT NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'active', 'completed', 'replied', 'bounced', 'blocked', 'failed')),
    blocked_reason    TEXT,
    step_index        INTEGER NOT NULL DEFAULT 0 CHECK (step_index >= 0),
    next_action_at    TEXT,                       -- NULL while a job of the lead is in flight
    last_contacted_at TEXT,
    dnc               INTEGER NOT NULL DEFAULT 0 CHECK (dnc IN (0, 1)),
    dnc_at            TEXT,
    dnc_reason        TEXT,
    soft_bounces      INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (campaign_id, email),
    CHECK (dnc = 0 OR dnc_at IS NOT NULL)
);
-- The due set, in the tick's order (next_action_at, id): the tick never scans the table.
CREATE INDEX leads_due ON leads (campaign_id, next_action_at) WHERE status IN ('new', 'active');
-- Cooldown and events look an address up across campaigns.
CREATE INDEX leads_email ON leads (email);
CREATE INDEX leads_campaign_status ON leads (campaign_id, status);

-- MARK: Compliance lists

CREATE TABLE unsubscribes (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL CHECK (email = lower(trim(email))),
    campaign_id INTEGER REFERENCES campaigns (id), -- NULL: every campaign
    source      TEXT,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX unsubscribes_scope ON unsubscribes (email, ifnull(campaign_id, 0));

-- Suppressions are never deleted: `suppress remove` sets removed_at, so the proof checks
-- can tell whether an address was suppressed at the moment a job was created.
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'domain')),
    value      TEXT NOT NULL CHECK (value = lower(trim(value))),
    reason     TEXT,
    until      TEXT,                              -- NULL: no expiry
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE UNIQUE INDEX suppressions_active ON suppressions (kind, value) WHERE removed_at IS NULL;
CREATE INDEX suppressions_value ON suppressions (value, kind);

-- A single row: the global stop of all dispatch.
CREATE TABLE kill_switch (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    reason     TEXT,
    changed_at TEXT
);
INSERT INTO kill_switch (id, enabled) VALUES (1, 0);

-- MARK: Runs, jobs, decisions

CREATE TABLE runs (
    id                  TEXT PRIMARY KEY,         -- path-safe: [0-9A-Za-z-]
    campaign_id         INTEGER NOT NULL REFERENCES campaigns (id),
    mode                TEXT NOT NULL CHECK (mode IN ('proof', 'live')),
    dry_run             INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
    status              TEXT NOT NULL
                        CHECK (status IN ('running', 'completed', 'stopped', 'lease_lost', 'failed')),
    stop_reason         TEXT,
    owner               TEXT NOT NULL,
    fencing_token       INTEGER NOT NULL,
    started_at          TEXT NOT NULL,
    finished_at         TEXT,
    duration_ms         INTEGER,
    considered          INTEGER NOT NULL DEFAULT 0,
    dispatched          INTEGER NOT NULL DEFAULT 0,
    skipped             INTEGER NOT NULL DEFAULT 0,
    unknown_recovered   INTEGER NOT NULL DEFAULT 0,
    per_tick_limit      INTEGER NOT NULL,         -- the limits in force for this run
    daily_quota         INTEGER NOT NULL,
    quota_day           TEXT NOT NULL,            -- campaign-local day at the start of the run
    content_hash        TEXT NOT NULL,            -- the campaign content this run used
    tool_version        TEXT NOT NULL,
    UNIQUE (campaign_id, fencing_token)
);
CREATE INDEX runs_campaign_started ON runs (campaign_id, started_at);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    lead_id         INTEGER NOT NULL REFERENCES leads (id),
    run_id          TEXT NOT NULL REFERENCES runs (id), -- the run that created the job
    idempotency_key TEXT NOT NULL UNIQUE,       -- {campaign_id}:{lead_id}:{step_id}:{step_index}
    step_id         TEXT NOT NULL,
    step_index      INTEGER NOT NULL CHECK (step_index >= 0),
    mode            TEXT NOT NULL CHECK (mode IN ('proof', 'live')),
    transport       TEXT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (status IN ('dispatching', 'sent', 'sent_proof', 'retry_scheduled',
                                      'failed', 'dead', 'unknown', 'cancelled')),
    attempt         INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (lead_id, step_index),
    CHECK ((status = 'retry_scheduled') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX jobs_campaign_status ON jobs (campaign_id, status);
CREATE INDEX jobs_retry_due ON jobs (campaign_id, next_attempt_at) WHERE status = 'retry_scheduled';

-- The rendered message of a job (JSON), kept for retries, operator re-dispatch and previews.
CREATE TABLE job_messages (
    job_id  INTEGER PRIMARY KEY REFERENCES jobs (id),
    message TEXT NOT NULL
);

-- One row per lead considered in a run: what was decided and why, and where it left the
-- lead and its job. Dispatch decisions carry the campaign-local day whose quota they used.
CREATE TABLE decisions (
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
                                        'completed', 'stopped_kill_switch', 'stopped_paused',
                                        'stopped_lease_lost')),
    reason          TEXT,
    job_id          INTEGER REFERENCES jobs (id),
    job_status      TEXT,                         -- the job's status when the decision was settled
    attempt         INTEGER,
    next_attempt_at TEXT,
    error           TEXT,
    quota_day       TEXT,                         -- set on dispatches only
    status_after    TEXT NOT NULL,                -- the lead's status after the decision
    next_action_at  TEXT,                         -- the lead's next_action_at after the decision
    decided_at      TEXT NOT NULL,
    UNIQUE (run_id, lead_id),
    CHECK ((quota_day IS NOT NULL) = (decision IN ('dispatched', 'retry_dispatched')))
);
CREATE INDEX decisions_quota ON decisions (campaign_id, quota_day) WHERE quota_day IS NOT NULL;
CREATE INDEX decisions_lead ON decisions (lead_id);

-- Jobs found `dispatching` by a later run and turned `unknown` (crash between claim and send).
CREATE TABLE job_recoveries (
    run_id       TEXT NOT NULL REFERENCES runs (id),
    job_id       INTEGER NOT NULL REFERENCES jobs (id),
    attempt      INTEGER NOT NULL,                -- the attempt that was interrupted
    recovered_at TEXT NOT NULL,
    PRIMARY KEY (run_id, job_id)
);

-- MARK: Transports and feedback

-- Per-transport circuit breaker, shared by every process on this database.
CREATE TABLE circuit_breakers (
    transport_key        TEXT PRIMARY KEY,
    state                TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    opened_at            TEXT,
    open_until           TEXT,
    updated_at           TEXT NOT NULL
);

-- Delivery feedback, keyed by the provider's event id so a re-import changes nothing.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL CHECK (type IN ('reply', 'auto_reply', 'bounce', 'complaint', 'unsubscribe')),
    bounce_kind TEXT CHECK (bounce_kind IN ('hard', 'soft')),
    email       TEXT NOT NULL,
    campaign_id INTEGER REFERENCES campaigns (id),
    occurred_at TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    leads_matched INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_email ON events (email);
