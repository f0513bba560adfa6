-- The member's shipment as shipping last reported it (PRODUCT.md S3: groups is told).
ALTER TABLE members ADD COLUMN shipment_state TEXT;
