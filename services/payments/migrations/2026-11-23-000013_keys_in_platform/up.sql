-- Payment operations are kept in the platform's one idempotency store (idempotency_keys, with the
-- resource each key names) since issue 8; this table is no longer used.
DROP INDEX operations_resource;
DROP TABLE operations;
