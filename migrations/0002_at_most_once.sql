-- outreach schema, version 2: at most once, without exceptions (SPEC §9).
--
-- 1. Every database gets a random installation id, part of every identifier that leaves
--    the machine (Message-ID, Idempotency-Key, X-Outreach-Key), so two databases never
--    emit the same one.
-- 2. One commit-order counter. Every opt-out (DNC mark, unsubscribe, suppression and its
--    removal), every job claim and every run start and end carries a number taken from it
--    inside its write transaction, so the proof checks compare commit order, exact even
--    within one second. Triggers number the rows any writer inserts (a hand edit too); the
--    tick numbers its claims itself.
-- 3. Steps are identified by their id: a lead never gets two jobs for one step id. The old
--    UNIQUE (lead_id, step_index) goes (inserting a step moves the indexes); jobs that an
--    older outreach created twice for one step stay as history, marked by duplicate_of, and
--    the proof check `same_step_twice` still reports them.
-- 4. The newest instant any writing command has seen, for the clock guard.
-- This file is never edited after it lands.

-- MARK: Installation

CREATE TABLE installation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    installation_id TEXT NOT NULL CHECK (length(installation_id) = 16 AND installation_id NOT GLOB '*[^0-9a-f]*')
);
INSERT INTO installation (id, installation_id) VALUES (1, lower(hex(randomblob(8))));

-- MARK: Commit order

CREATE TABLE commit_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL CHECK (value >= 0)
);

ALTER TABLE leads ADD COLUMN dnc_seq INTEGER;               -- when dnc became 1
ALTER TABLE unsubscribes ADD COLUMN seq INTEGER;
ALTER TABLE suppressions ADD COLUMN seq INTEGER;
ALTER TABLE suppressions ADD COLUMN removed_seq INTEGER;
ALTER TABLE runs ADD COLUMN seq INTEGER;                    -- the run's start (lease taken)
ALTER TABLE runs ADD COLUMN finished_seq INTEGER;           -- the run's end
ALTER TABLE decisions ADD COLUMN seq INTEGER;               -- dispatch decisions: the claim

-- History has whole-second timestamps only. Numbering it as 4 * epoch-second + rank keeps
-- the old checks' meaning for old rows (an entry counts as before a job only when its
-- second is earlier), and every new number comes after all of them.
UPDATE leads SET dnc_seq = 4 * CAST(strftime('%s', dnc_at) AS INTEGER) + 2 WHERE dnc = 1;
UPDATE unsubscribes SET seq = 4 * CAST(strftime('%s', created_at) AS INTEGER) + 2;
UPDATE suppressions SET seq = 4 * CAST(strftime('%s', created_at) AS INTEGER) + 2,
    removed_seq = 4 * CAST(strftime('%s', removed_at) AS INTEGER) + 2;
UPDATE runs SET seq = 4 * CAST(strftime('%s', started_at) AS INTEGER) + 1,
    finished_seq = 4 * CAST(strftime('%s', finished_at) AS INTEGER) + 1;
UPDATE decisions SET seq = 4 * CAST(strftime('%s', decided_at) AS INTEGER)
    WHERE decision IN ('dispatched', 'retry_dispatched');

-- Runs abandoned by a killed process never wrote their counters; `verify` compares every
-- run's counters with its decisions, so they are recounted from the decisions.
UPDATE runs SET
    considered = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id),
    dispatched = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NOT NULL),
    skipped = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NULL AND d.decision != 'completed')
WHERE status = 'lease_lost';

-- MARK: Jobs, rebuilt (SQLite cannot drop a table constraint in place)

CREATE TABLE jobs_v2 (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    lead_id         INTEGER NOT NULL REFERENCES leads (id),
    run_id          TEXT NOT NULL REFERENCES runs (id), -- the run that created the job
    idempotency_key TEXT NOT NULL UNIQUE,       -- {campaign_id}:{lead_id}:{step_id}:{step_index}
    step_id         TEXT NOT NULL,
    step_index      INTEGER NOT NULL CHECK (step_index >= 0), -- the step's place when the job was created
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
    seq             INTEGER,                    -- commit order of the claim that created it
    -- 1 when the last attempt may have reached the provider (no answer came) and a retry
    -- is allowed only inside the transport's idempotency window.
    ambiguous       INTEGER NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1)),
    -- 0 for every job but the history described in the header, where it is the id of the
    -- first job of the same lead and step.
    duplicate_of    INTEGER NOT NULL DEFAULT 0 CHECK (duplicate_of >= 0),
    -- A lead never gets two jobs for one step id (SPEC §9.5): the database is the arbiter.
    UNIQUE (lead_id, step_id, duplicate_of),
    CHECK ((status = 'retry_scheduled') = (next_attempt_at IS NOT NULL))
);
INSERT INTO jobs_v2 (id, campaign_id, lead_id, run_id, idempotency_key, step_id, step_index, mode, transport, status,
                     attempt, next_attempt_at, last_error, created_at, updated_at, seq, duplicate_of)
SELECT j.id, j.campaign_id, j.lead_id, j.run_id, j.idempotency_key, j.step_id, j.step_index, j.mode, j.transport, j.status,
       j.attempt, j.next_attempt_at, j.last_error, j.created_at, j.updated_at,
       4 * CAST(strftime('%s', j.created_at) AS INTEGER),
       ifnull((SELECT min(f.id) FROM jobs f WHERE f.lead_id = j.lead_id AND f.step_id = j.step_id AND f.id < j.id), 0)
FROM jobs j;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;

CREATE INDEX jobs_campaign_status ON jobs (campaign_id, status);
CREATE INDEX jobs_retry_due ON jobs (campaign_id, next_attempt_at) WHERE status = 'retry_scheduled';

INSERT INTO commit_sequence (id, value) SELECT 1, max(0, ifnull(max(s), 0)) FROM (
    SELECT max(dnc_seq) AS s FROM leads UNION ALL SELECT max(seq) FROM unsubscribes
    UNION ALL SELECT max(max(ifnull(seq, 0), ifnull(removed_seq, 0))) FROM suppressions
    UNION ALL SELECT max(max(ifnull(seq, 0), ifnull(finished_seq, 0))) FROM runs
    UNION ALL SELECT max(seq) FROM decisions UNION ALL SELECT max(seq) FROM jobs);

-- Numbers for rows written without one (every writer but the tick's claims, hand edits).
CREATE TRIGGER unsubscribes_seq AFTER INSERT ON unsubscribes WHEN NEW.seq IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE unsubscribes SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER suppressions_seq AFTER INSERT ON suppressions WHEN NEW.seq IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE suppressions SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER suppressions_removed_seq AFTER UPDATE OF removed_at ON suppressions
WHEN NEW.removed_at IS NOT NULL AND OLD.removed_at IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE suppressions SET removed_seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER leads_dnc_seq_insert AFTER INSERT ON leads WHEN NEW.dnc = 1 AND NEW.dnc_seq IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE leads SET dnc_seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER leads_dnc_seq_update AFTER UPDATE OF dnc ON leads WHEN NEW.dnc = 1 AND OLD.dnc = 0
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE leads SET dnc_seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER runs_seq AFTER INSERT ON runs WHEN NEW.seq IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE runs SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER runs_finished_seq AFTER UPDATE OF status ON runs WHEN OLD.status = 'running' AND NEW.status != 'running'
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE runs SET finished_seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER jobs_seq AFTER INSERT ON jobs WHEN NEW.seq IS NULL
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE jobs SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER decisions_seq AFTER INSERT ON decisions
WHEN NEW.seq IS NULL AND NEW.decision IN ('dispatched', 'retry_dispatched')
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1;
    UPDATE decisions SET seq = (SELECT value FROM commit_sequence WHERE id = 1) WHERE id = NEW.id;
END;

-- MARK: Clock guard

-- The newest instant a writing command has seen; a writing command whose clock is more
-- than the documented tolerance behind it is refused (SPEC §9.7).
CREATE TABLE clock_guard (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    newest_at TEXT NOT NULL
);
INSERT INTO clock_guard (id, newest_at) SELECT 1, ifnull(max(t), '1970-01-01T00:00:00Z') FROM (
    SELECT max(started_at) AS t FROM runs UNION ALL SELECT max(finished_at) FROM runs
    UNION ALL SELECT max(updated_at) FROM jobs UNION ALL SELECT max(decided_at) FROM decisions
    UNION ALL SELECT max(updated_at) FROM leads UNION ALL SELECT max(created_at) FROM unsubscribes
    UNION ALL SELECT max(created_at) FROM suppressions UNION ALL SELECT max(imported_at) FROM events
    UNION ALL SELECT max(updated_at) FROM campaigns);
