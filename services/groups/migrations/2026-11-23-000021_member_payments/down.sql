DROP TABLE received_webhooks;
ALTER TABLE members DROP COLUMN payment_state;
ALTER TABLE members DROP COLUMN payment_id;
