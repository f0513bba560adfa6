ALTER TABLE outbox DROP COLUMN idempotency_key;
ALTER TABLE outbox DROP COLUMN call_path;
