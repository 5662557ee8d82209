-- People erased by `outreach leads forget` (SPEC §14, GDPR Art. 17). Only a one-way hash of
-- the normalised address stays (SHA-256, hex, as hashed suppression lists are exchanged), so
-- a later lead import, feedback event, unsubscribe or suppression naming them is refused
-- without storing the address again: they are never contacted again.
CREATE TABLE forgotten (
    email_sha256 TEXT PRIMARY KEY CHECK (length(email_sha256) = 64 AND email_sha256 NOT GLOB '*[^0-9a-f]*'),
    forgotten_at TEXT NOT NULL
);
