ALTER TABLE members DROP COLUMN shipment_state;
