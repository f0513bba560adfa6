-- Payments, refunds, the operations that made them (keyed for idempotency), the double-entry
-- ledger, provider webhook events seen, and group settlements (PRODUCT.md P1-P5).
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL,
    member TEXT NOT NULL,
    purpose TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    captured_minor BIGINT NOT NULL CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
    refunded_minor BIGINT NOT NULL CHECK (refunded_minor >= 0),
    refund_reserved_minor BIGINT NOT NULL CHECK (refund_reserved_minor >= refunded_minor AND refund_reserved_minor <= captured_minor),
    capture_method TEXT NOT NULL,
    method_type TEXT NOT NULL,
    method_last4 TEXT,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    state TEXT NOT NULL,
    failure_code TEXT,
    hold_expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_group ON payments (group_id, id);
CREATE UNIQUE INDEX payments_provider_ref ON payments (provider, provider_ref);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY NOT NULL,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_ref TEXT,
    failure_code TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);

CREATE TABLE operations (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- the payment or refund the operation acts on
    resource_id TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- the payment, refund or settlement that moved the money
    source_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_entries_group ON ledger_entries (group_id, id);
-- one entry per movement: a capture, a refund or a payout is booked once
CREATE UNIQUE INDEX ledger_entries_source ON ledger_entries (kind, source_id, currency);

CREATE TABLE ledger_lines (
    entry_id TEXT NOT NULL REFERENCES ledger_entries (id),
    account TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (entry_id, account)
);

CREATE TABLE webhook_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE settlements (
    group_id TEXT PRIMARY KEY NOT NULL,
    settled_at TIMESTAMP NOT NULL
);
