ALTER TABLE members DROP COLUMN favor_refunded_at;
ALTER TABLE members DROP COLUMN favor_minor;
DROP TABLE purchasers;
DROP TABLE bulk_groups;
