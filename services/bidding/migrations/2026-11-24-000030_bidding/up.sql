-- Bid requests, suppliers' sealed offers and the award (PRODUCT.md B1-B7).
CREATE TABLE bid_requests (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT,
    product_id TEXT NOT NULL,
    -- the supplier whose product it is: the one that may offer
    supplier_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    currency TEXT NOT NULL,
    ceiling_minor BIGINT NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    rule TEXT NOT NULL,
    -- best_value weights as decimal strings
    price_weight TEXT,
    delivery_day_weight TEXT,
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- the award once made: JSON, with its total
    award TEXT,
    decided_at TIMESTAMP
);
CREATE INDEX bid_requests_due ON bid_requests (state, closes_at);
CREATE INDEX bid_requests_supplier ON bid_requests (supplier_id, id);

CREATE TABLE offers (
    id TEXT PRIMARY KEY NOT NULL,
    bid_request_id TEXT NOT NULL REFERENCES bid_requests (id),
    supplier_id TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    min_quantity BIGINT NOT NULL,
    max_quantity BIGINT NOT NULL,
    delivery_days BIGINT NOT NULL,
    terms TEXT,
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    -- the receipt of the current revision: hex salt and SHA-256 digest
    salt TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX offers_request ON offers (bid_request_id, supplier_id);
