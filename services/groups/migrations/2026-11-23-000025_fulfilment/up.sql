-- A service is not shipped: its supplier confirms each member's fulfilment (PRODUCT.md G11).
ALTER TABLE members ADD COLUMN fulfilled_at TIMESTAMP;
