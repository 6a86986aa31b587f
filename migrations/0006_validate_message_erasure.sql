-- Check the rows that were in messages when 0004 added messages_deleted_are_erased
-- NOT VALID (0004 erased the deleted ones). Validating scans the whole table
-- but holds only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on;
-- it is a file of its own because each file is one transaction, and the
-- ACCESS EXCLUSIVE lock that adding the constraint took lasts until 0004's
-- transaction ends.
ALTER TABLE messages VALIDATE CONSTRAINT messages_deleted_are_erased;
