-- The process running an operation: one left by a dead process, or released after a provider
-- failure, is resumed by the retry at once (issue 8).
ALTER TABLE operations ADD COLUMN owner TEXT;
