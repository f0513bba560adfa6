DROP INDEX idempotency_keys_resource;
ALTER TABLE idempotency_keys DROP COLUMN resource_id;
