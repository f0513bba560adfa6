ALTER TABLE members DROP COLUMN fulfilled_at;
