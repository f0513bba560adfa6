ALTER TABLE members DROP COLUMN shipped_by;
ALTER TABLE members DROP COLUMN charge_minor;
ALTER TABLE members DROP COLUMN demand_place;
ALTER TABLE groups DROP COLUMN award_total_minor;
ALTER TABLE groups DROP COLUMN bid_request_id;
ALTER TABLE groups DROP COLUMN bid_requested_at;
ALTER TABLE groups DROP COLUMN bids_close_at;
ALTER TABLE groups DROP COLUMN ceiling_minor;
