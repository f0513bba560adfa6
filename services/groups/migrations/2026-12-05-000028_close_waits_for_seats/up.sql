-- A group whose join window ended while a seat's payment had not answered waits for it, up to a
-- grace (PRODUCT.md G4, G6): the scheduler looks at it again at this time, or sooner once a seat
-- answers (then it is cleared).
ALTER TABLE groups ADD COLUMN close_waits_until TIMESTAMP;
