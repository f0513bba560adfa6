ALTER TABLE members DROP COLUMN shipment_id;
ALTER TABLE members DROP COLUMN ship_to;
