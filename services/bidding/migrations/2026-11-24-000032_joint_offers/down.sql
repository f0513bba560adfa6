ALTER TABLE offers DROP COLUMN partners;
