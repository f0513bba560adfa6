ALTER TABLE groups DROP COLUMN close_waits_until;
