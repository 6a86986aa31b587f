-- Check the rows that were in users when 0005 added its two checks NOT VALID.
-- Validating scans the table but holds only SHARE UPDATE EXCLUSIVE, so logins
-- and sign-ups go on meanwhile (see 0006 for why it is a file of its own).
ALTER TABLE users VALIDATE CONSTRAINT users_login_check;
ALTER TABLE users VALIDATE CONSTRAINT users_deleted_check;
