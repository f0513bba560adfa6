-- B2: where each supplier is told of the bid requests it may offer on, and the secret that signs
-- those calls (Standard Webhooks).
CREATE TABLE supplier_endpoints (
    supplier_id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
