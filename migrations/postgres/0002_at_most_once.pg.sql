-- PostgreSQL dialect of migrations/0002_at_most_once.sql (PostgreSQL 14 and up).
-- It must stay equivalent to that file (see that file for the why of every part); the app
-- runs it inside one transaction. Differences of form only:
-- - jobs is altered in place instead of rebuilt: the new columns go at the end, as in the
--   SQLite rebuild, so the column order is the same.
-- - Each SQLite trigger is a plpgsql function of the same name and an AFTER ... FOR EACH ROW
--   trigger with the same condition and the same two UPDATEs. AFTER, not BEFORE setting
--   NEW.seq: a BEFORE INSERT trigger also runs for a row that INSERT ... ON CONFLICT DO
--   NOTHING then drops (unsubscribes are written that way), and would take a number where
--   SQLite takes none.
-- - strftime('%s', t) is floor(extract(epoch FROM CAST(t AS timestamptz))): same seconds for
--   the app's '...Z' timestamps.
-- This file is never edited after it lands.

-- MARK: Installation

CREATE TABLE installation (
    id              BIGINT PRIMARY KEY CHECK (id = 1),
    installation_id TEXT NOT NULL CHECK (length(installation_id) = 16 AND installation_id !~ '[^0-9a-f]')
);
-- 16 lowercase hex digits, as lower(hex(randomblob(8))); gen_random_uuid() is core since 13.
INSERT INTO installation (id, installation_id)
VALUES (1, substr(md5(gen_random_uuid()::text || random()::text || clock_timestamp()::text), 1, 16));

-- MARK: Commit order

CREATE TABLE commit_sequence (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL CHECK (value >= 0)
);

ALTER TABLE leads ADD COLUMN dnc_seq BIGINT;
ALTER TABLE unsubscribes ADD COLUMN seq BIGINT;
ALTER TABLE suppressions ADD COLUMN seq BIGINT;
ALTER TABLE suppressions ADD COLUMN removed_seq BIGINT;
ALTER TABLE runs ADD COLUMN seq BIGINT;
ALTER TABLE runs ADD COLUMN finished_seq BIGINT;
ALTER TABLE decisions ADD COLUMN seq BIGINT;

UPDATE leads SET dnc_seq = 4 * floor(extract(epoch FROM CAST(dnc_at AS timestamptz)))::bigint + 2 WHERE dnc = 1;
UPDATE unsubscribes SET seq = 4 * floor(extract(epoch FROM CAST(created_at AS timestamptz)))::bigint + 2;
UPDATE suppressions SET seq = 4 * floor(extract(epoch FROM CAST(created_at AS timestamptz)))::bigint + 2,
    removed_seq = 4 * floor(extract(epoch FROM CAST(removed_at AS timestamptz)))::bigint + 2;
UPDATE runs SET seq = 4 * floor(extract(epoch FROM CAST(started_at AS timestamptz)))::bigint + 1,
    finished_seq = 4 * floor(extract(epoch FROM CAST(finished_at AS timestamptz)))::bigint + 1;
UPDATE decisions SET seq = 4 * floor(extract(epoch FROM CAST(decided_at AS timestamptz)))::bigint
    WHERE decision IN ('dispatched', 'retry_dispatched');

UPDATE runs SET
    considered = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id),
    dispatched = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NOT NULL),
    skipped = (SELECT count(*) FROM decisions d WHERE d.run_id = runs.id AND d.quota_day IS NULL AND d.decision != 'completed')
WHERE status = 'lease_lost';

-- MARK: Jobs, altered in place (same final columns, keys and indexes as the SQLite rebuild)

ALTER TABLE jobs ADD COLUMN seq BIGINT;
ALTER TABLE jobs ADD COLUMN ambiguous BIGINT NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1));
ALTER TABLE jobs ADD COLUMN duplicate_of BIGINT NOT NULL DEFAULT 0 CHECK (duplicate_of >= 0);
UPDATE jobs j SET
    seq = 4 * floor(extract(epoch FROM CAST(j.created_at AS timestamptz)))::bigint,
    duplicate_of = COALESCE((SELECT min(f.id) FROM jobs f WHERE f.lead_id = j.lead_id AND f.step_id = j.step_id AND f.id < j.id), 0);
ALTER TABLE jobs DROP CONSTRAINT jobs_lead_id_step_index_key;
ALTER TABLE jobs ADD UNIQUE (lead_id, step_id, duplicate_of);

INSERT INTO commit_sequence (id, value) SELECT 1, GREATEST(0, COALESCE(max(s), 0)) FROM (
    SELECT max(dnc_seq) AS s FROM leads UNION ALL SELECT max(seq) FROM unsubscribes
    UNION ALL SELECT max(GREATEST(COALESCE(seq, 0), COALESCE(removed_seq, 0))) FROM suppressions
    UNION ALL SELECT max(GREATEST(COALESCE(seq, 0), COALESCE(finished_seq, 0))) FROM runs
    UNION ALL SELECT max(seq) FROM decisions UNION ALL SELECT max(seq) FROM jobs) AS highest;

-- Numbers for rows written without one (every writer but the tick's claims, hand edits).
-- One trigger function for every commit-order number: it takes the next value of the counter
-- and writes it into the column named by the trigger's argument, on the row that fired it (the
-- same two UPDATEs as each SQLite trigger). AFTER, not BEFORE: a BEFORE INSERT trigger also runs
-- for a row that ON CONFLICT DO NOTHING then skips, and the counter would move where SQLite's does not.
CREATE FUNCTION take_commit_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    UPDATE commit_sequence SET value = value + 1 WHERE id = 1 RETURNING value INTO next;
    EXECUTE format('UPDATE %I SET %I = $1 WHERE id = $2', TG_TABLE_NAME, TG_ARGV[0]) USING next, NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER unsubscribes_seq AFTER INSERT ON unsubscribes
FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION take_commit_seq('seq');

CREATE TRIGGER suppressions_seq AFTER INSERT ON suppressions
FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION take_commit_seq('seq');

CREATE TRIGGER suppressions_removed_seq AFTER UPDATE OF removed_at ON suppressions
FOR EACH ROW WHEN (NEW.removed_at IS NOT NULL AND OLD.removed_at IS NULL) EXECUTE FUNCTION take_commit_seq('removed_seq');

CREATE TRIGGER leads_dnc_seq_insert AFTER INSERT ON leads
FOR EACH ROW WHEN (NEW.dnc = 1 AND NEW.dnc_seq IS NULL) EXECUTE FUNCTION take_commit_seq('dnc_seq');

CREATE TRIGGER leads_dnc_seq_update AFTER UPDATE OF dnc ON leads
FOR EACH ROW WHEN (NEW.dnc = 1 AND OLD.dnc = 0) EXECUTE FUNCTION take_commit_seq('dnc_seq');

CREATE TRIGGER runs_seq AFTER INSERT ON runs
FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION take_commit_seq('seq');

CREATE TRIGGER runs_finished_seq AFTER UPDATE OF status ON runs
FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status != 'running') EXECUTE FUNCTION take_commit_seq('finished_seq');

CREATE TRIGGER jobs_seq AFTER INSERT ON jobs
FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION take_commit_seq('seq');

CREATE TRIGGER decisions_seq AFTER INSERT ON decisions
FOR EACH ROW WHEN (NEW.seq IS NULL AND NEW.decision IN ('dispatched', 'retry_dispatched')) EXECUTE FUNCTION take_commit_seq('seq');

-- MARK: Clock guard

CREATE TABLE clock_guard (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    newest_at TEXT NOT NULL
);
INSERT INTO clock_guard (id, newest_at) SELECT 1, COALESCE(max(t), '1970-01-01T00:00:00Z') FROM (
    SELECT max(started_at) AS t FROM runs UNION ALL SELECT max(finished_at) FROM runs
    UNION ALL SELECT max(updated_at) FROM jobs UNION ALL SELECT max(decided_at) FROM decisions
    UNION ALL SELECT max(updated_at) FROM leads UNION ALL SELECT max(created_at) FROM unsubscribes
    UNION ALL SELECT max(created_at) FROM suppressions UNION ALL SELECT max(imported_at) FROM events
    UNION ALL SELECT max(updated_at) FROM campaigns) AS newest;
