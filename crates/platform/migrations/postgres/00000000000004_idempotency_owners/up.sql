-- Which process is running a request under a key, and which processes are alive: a key whose
-- process died is taken over by the retry at once rather than blocking it (issue 8).
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
CREATE TABLE instances (
    id TEXT PRIMARY KEY NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);
