-- PostgreSQL dialect of migrations/0003_forget.sql (PostgreSQL 14 and up).
-- It must stay equivalent to that file; the app runs it inside one transaction.
-- `NOT GLOB '*[^0-9a-f]*'` is `!~ '[^0-9a-f]'`.
CREATE TABLE forgotten (
    email_sha256 TEXT PRIMARY KEY CHECK (length(email_sha256) = 64 AND email_sha256 !~ '[^0-9a-f]'),
    forgotten_at TEXT NOT NULL
);
