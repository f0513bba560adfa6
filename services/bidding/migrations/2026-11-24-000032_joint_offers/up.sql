-- B4: a joint offer's partners with their shares and whether each confirmed this revision (JSON).
ALTER TABLE offers ADD COLUMN partners TEXT;
