DROP TABLE instances;
ALTER TABLE idempotency_keys DROP COLUMN owner;
