-- Each member's payment as payments last told us (PRODUCT.md G4, G7), and the payments webhook
-- messages already applied (a redelivery is acknowledged, not applied again).
ALTER TABLE members ADD COLUMN payment_id TEXT;
ALTER TABLE members ADD COLUMN payment_state TEXT;
CREATE TABLE received_webhooks (
    message_id TEXT PRIMARY KEY NOT NULL,
    received_at TIMESTAMP NOT NULL
);
