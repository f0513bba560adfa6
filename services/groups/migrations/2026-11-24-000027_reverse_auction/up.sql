-- Reverse auction groups (PRODUCT.md G4, B1, B7): the ceiling and bid window declared at start,
-- the bid request once asked for and opened, and the award's total; per member its place in the
-- request's demands, what the award charges it and which winners ship its units (JSON).
ALTER TABLE groups ADD COLUMN ceiling_minor BIGINT CHECK (ceiling_minor > 0);
ALTER TABLE groups ADD COLUMN bids_close_at TIMESTAMP;
ALTER TABLE groups ADD COLUMN bid_requested_at TIMESTAMP;
ALTER TABLE groups ADD COLUMN bid_request_id TEXT;
ALTER TABLE groups ADD COLUMN award_total_minor BIGINT;

ALTER TABLE members ADD COLUMN demand_place INTEGER;
ALTER TABLE members ADD COLUMN charge_minor BIGINT;
ALTER TABLE members ADD COLUMN shipped_by TEXT;
