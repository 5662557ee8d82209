-- PostgreSQL dialect of migrations/0005_cursor_indexes.sql.
-- The tick reads due leads in (next_action_at, id) order and due retries in
-- (next_attempt_at, id) order, from a cursor, a batch at a time. SQLite's indexes end in the
-- rowid, PostgreSQL's do not: without the id, a batch sorted every due row and, before the
-- tables were first analyzed, the planner joined each of them against all of the run's
-- decisions (the benchmark measured 113 leads/s). With it, the cursor is an index condition
-- and a batch stops at its LIMIT.
-- This file is never edited after it lands.
DROP INDEX leads_due;
CREATE INDEX leads_due ON leads (campaign_id, next_action_at, id) WHERE status IN ('new', 'active');
DROP INDEX jobs_retry_due;
CREATE INDEX jobs_retry_due ON jobs (campaign_id, next_attempt_at, id) WHERE status = 'retry_scheduled';
