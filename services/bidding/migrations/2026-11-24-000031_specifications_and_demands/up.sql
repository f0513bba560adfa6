-- A request for a specification product: its attribute constraints (JSON), which any supplier's
-- specific product may meet (PRODUCT.md B2, C1).
ALTER TABLE bid_requests ADD COLUMN specification TEXT;
-- B7: the members' demands (JSON: quantity and the most each pays a unit, in minor units).
ALTER TABLE bid_requests ADD COLUMN demands TEXT;
