ALTER TABLE operations DROP COLUMN owner;
