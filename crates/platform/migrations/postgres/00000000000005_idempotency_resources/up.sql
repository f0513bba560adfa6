-- A key may name the resource its request made before calling out (a payment, a refund): a retry
-- after a crash or a provider failure then resumes on that resource instead of making another
-- (issue 8: one idempotency store for every service).
ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT;
CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_id, response_status);
