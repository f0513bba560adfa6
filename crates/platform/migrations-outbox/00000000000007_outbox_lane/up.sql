-- Rows with the same lane (a group's id, say) reach their destination in order; rows of different
-- lanes go side by side. Without a lane, a destination's rows go one after another (PRODUCT.md G7).
ALTER TABLE outbox ADD COLUMN lane TEXT;
-- Passes claim the oldest pending rows: walking (status, id) stops after a batch, where
-- (status, next_attempt_at) read and sorted the whole backlog on every pass.
DROP INDEX outbox_due;
CREATE INDEX outbox_pending ON outbox (status, id);
