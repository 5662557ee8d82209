-- The tick reads due leads in (next_action_at, id) order and due retries in
-- (next_attempt_at, id) order, from a cursor, a batch at a time. The index must give that
-- order, so a batch stops at its LIMIT instead of sorting every due row. SQLite's indexes
-- end in the rowid (here, the id), so leads_due and jobs_retry_due already do: this
-- migration changes nothing on SQLite. It exists so that both databases report the same
-- schema version; its PostgreSQL twin adds the id to both indexes.
SELECT 1;
