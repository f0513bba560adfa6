ALTER TABLE bid_requests DROP COLUMN demands;
ALTER TABLE bid_requests DROP COLUMN specification;
