-- Bulk purchase (PRODUCT.md G2, G4; 003 Figs. 9, 10): what the leader declared and what the
-- completion policy decided, the declared purchasers with their IDs' digests, and each member's
-- favor.
CREATE TABLE bulk_groups (
    group_id TEXT PRIMARY KEY REFERENCES groups (id),
    completion_policy TEXT NOT NULL,
    purchasers INTEGER NOT NULL CHECK (purchasers >= 1),
    declared_quantity BIGINT NOT NULL CHECK (declared_quantity >= 1),
    -- NULL for a time_scaled group declared without an end (the group's closes_at then bounds
    -- it to a year).
    period_ends_at TIMESTAMP,
    -- The decision: the rate as a decimal string, or why there is no favor; with what was read.
    favor_rate TEXT,
    no_favor TEXT,
    decided_quantity BIGINT,
    decided_days INTEGER,
    decided_at TIMESTAMP
);

CREATE TABLE purchasers (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES groups (id),
    slot BIGINT NOT NULL CHECK (slot >= 1),
    name TEXT,
    email TEXT,
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    -- SHA-256 of the purchaser ID (hex); NULL for a slot taken with the invite code.
    code_digest TEXT UNIQUE,
    -- Who used the slot (the shopper), and its latest purchase.
    shopper TEXT,
    member_id TEXT,
    UNIQUE (group_id, slot)
);

ALTER TABLE members ADD COLUMN favor_minor BIGINT;
ALTER TABLE members ADD COLUMN favor_refunded_at TIMESTAMP;
