-- Where an event goes when not to the configured subscriber (a shipping base's callback, say).
ALTER TABLE outbox ADD COLUMN target TEXT;
