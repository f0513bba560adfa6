-- Shipping bases, the suppliers they serve, shipments and their events in order, and the ids of
-- webhook messages already applied (PRODUCT.md S1-S3).
CREATE TABLE shipping_bases (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    callback_url TEXT,
    webhook_secret TEXT NOT NULL,
    paused BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE base_suppliers (
    base_id TEXT NOT NULL REFERENCES shipping_bases (id),
    supplier_id TEXT NOT NULL,
    PRIMARY KEY (base_id, supplier_id)
);
CREATE INDEX base_suppliers_supplier ON base_suppliers (supplier_id);

CREATE TABLE shipments (
    id TEXT PRIMARY KEY NOT NULL,
    purchase_id TEXT NOT NULL UNIQUE,
    group_id TEXT NOT NULL,
    member TEXT NOT NULL,
    supplier_id TEXT NOT NULL,
    base_id TEXT NOT NULL REFERENCES shipping_bases (id),
    -- personal data: JSON, never logged
    recipient TEXT NOT NULL,
    items TEXT NOT NULL,
    state TEXT NOT NULL,
    tracking_number TEXT,
    carrier TEXT,
    -- how many events the shipment has: the next one's sequence number is this plus one
    event_count BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX shipments_group ON shipments (group_id, id);
CREATE INDEX shipments_base ON shipments (base_id, id);
CREATE INDEX shipments_state ON shipments (state, id);

CREATE TABLE shipment_events (
    shipment_id TEXT NOT NULL REFERENCES shipments (id),
    sequence BIGINT NOT NULL,
    state TEXT NOT NULL,
    tracking_number TEXT,
    carrier TEXT,
    note TEXT,
    source TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shipment_id, sequence)
);

CREATE TABLE base_webhook_messages (
    base_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (base_id, message_id)
);
