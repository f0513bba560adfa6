-- Groups, their members and their history (PRODUCT.md G1-G6). A group's running tally
-- (member_count, quantity) is moved only by guarded updates that re-check the caps, and the
-- checks below hold whatever the code does: a group is never oversold.
CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    product_id TEXT NOT NULL,
    supplier_id TEXT NOT NULL,
    -- the creator (a token subject) and the role it acted in
    organizer TEXT NOT NULL,
    organizer_role TEXT NOT NULL,
    invite_code TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    -- the product as catalog had it when the group started (JSON), and its version
    product TEXT NOT NULL,
    product_version BIGINT NOT NULL,
    min_members INTEGER NOT NULL CHECK (min_members >= 1),
    max_members INTEGER CHECK (max_members IS NULL OR max_members >= min_members),
    max_quantity BIGINT CHECK (max_quantity IS NULL OR max_quantity >= 1),
    -- JSON array of accepted payment method types
    payment_methods TEXT NOT NULL,
    payment_plan TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    member_count INTEGER NOT NULL CHECK (member_count >= 0 AND (max_members IS NULL OR member_count <= max_members)),
    quantity BIGINT NOT NULL CHECK (quantity >= 0 AND (max_quantity IS NULL OR quantity <= max_quantity)),
    -- members ever admitted: numbers the aliases
    seats_taken BIGINT NOT NULL,
    -- events recorded: the next event's sequence is this plus one
    event_count BIGINT NOT NULL,
    final_unit_price_minor BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The deadline scheduler's question: which open groups are due.
CREATE INDEX groups_due ON groups (state, closes_at);
CREATE INDEX groups_product ON groups (product_id, id);
CREATE INDEX groups_supplier ON groups (supplier_id, id);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id),
    -- the shopper's token subject; never shown to other shoppers
    shopper TEXT NOT NULL,
    -- "member 7": how everyone else sees the member
    seat BIGINT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    payment_method TEXT NOT NULL,
    state TEXT NOT NULL,
    -- the most the member can owe per unit, held (or charged) at join
    held_unit_price_minor BIGINT NOT NULL CHECK (held_unit_price_minor > 0),
    failure_code TEXT,
    joined_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One seat per shopper and group while it holds one (reserved, held or paid).
CREATE UNIQUE INDEX members_one_seat ON members (group_id, shopper) WHERE state IN ('reserved', 'held', 'paid');
CREATE INDEX members_by_group ON members (group_id, seat);

-- Every change of a group, numbered from 1 without gaps: the history series and the SSE stream.
CREATE TABLE group_events (
    group_id TEXT NOT NULL REFERENCES groups (id),
    sequence BIGINT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    member_count INTEGER NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, sequence)
);
