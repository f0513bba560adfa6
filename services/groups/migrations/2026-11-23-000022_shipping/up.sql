-- Where a member's purchase is shipped (the address given at join; never shown to other shoppers)
-- and the shipment shipping made for it (PRODUCT.md G4, S2).
ALTER TABLE members ADD COLUMN ship_to TEXT;
ALTER TABLE members ADD COLUMN shipment_id TEXT;
