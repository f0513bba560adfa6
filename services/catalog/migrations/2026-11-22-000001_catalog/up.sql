-- Suppliers and their products (PRODUCT.md C1-C3). Money is integer minor units; ids are UUID text.
CREATE TABLE suppliers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    supplier_id TEXT NOT NULL REFERENCES suppliers (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- lower-cased name, description and identifiers, for `q`
    search_text TEXT NOT NULL,
    currency TEXT NOT NULL,
    list_price_minor BIGINT NOT NULL CHECK (list_price_minor >= 0),
    -- the kind's own fields as JSON (no money in here)
    details TEXT NOT NULL,
    tier_basis TEXT,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_supplier ON products (supplier_id, id);
CREATE INDEX products_kind ON products (kind, id);

CREATE TABLE price_tiers (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    min_count INTEGER NOT NULL CHECK (min_count >= 1),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (product_id, min_count)
);

CREATE TABLE discount_rates (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    min_quantity INTEGER NOT NULL CHECK (min_quantity >= 1),
    within_days INTEGER NOT NULL CHECK (within_days >= 1),
    -- the rate in millionths: 0.15 is 150000
    rate_millionths BIGINT NOT NULL CHECK (rate_millionths >= 0 AND rate_millionths < 1000000),
    PRIMARY KEY (product_id, min_quantity, within_days)
);
