-- A call to another service's API (groups asking payments for a hold), sent with a service token
-- and an Idempotency-Key rather than as a signed event; `target` names the service (PRODUCT.md G7).
ALTER TABLE outbox ADD COLUMN call_path TEXT;
ALTER TABLE outbox ADD COLUMN idempotency_key TEXT;
