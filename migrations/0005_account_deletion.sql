-- A deleted account keeps its user row, so the messages it wrote still name
-- an author ("Deleted User ..."), but loses its email and password: it can
-- never log in again and holds no personal data beyond its id.

ALTER TABLE users ADD COLUMN deleted_at TIMESTAMPTZ;

ALTER TABLE users DROP CONSTRAINT users_check;
-- Both checks are added NOT VALID (no scan under this file's ACCESS EXCLUSIVE
-- lock): every existing row passes them, and 0007 validates them under a lock
-- that lets reads and writes go on.
ALTER TABLE users ADD CONSTRAINT users_login_check
    CHECK (bot OR deleted_at IS NOT NULL OR (email IS NOT NULL AND password_hash IS NOT NULL))
    NOT VALID;
-- Only a deleted account may lack its login, and then it lacks all of it.
ALTER TABLE users ADD CONSTRAINT users_deleted_check
    CHECK (deleted_at IS NULL OR (email IS NULL AND password_hash IS NULL)) NOT VALID;
