-- Who may DM whom, and deleted messages erased.

-- A user's consent to DMs from people who share no guild with them
-- (GET/PATCH /users/@me/settings). Off: only guild-mates may open a DM
-- with them or send into one (docs/decisions/0005-dm-consent.md).
ALTER TABLE users ADD COLUMN allow_dms_from_anyone BOOLEAN NOT NULL DEFAULT false;

-- A deleted message keeps only its tombstone: id, channel, guild, author and
-- deletion time, which paging, last_message_id and replies to it rely on.
-- Messages deleted before this migration are erased now; the constraint keeps
-- every later delete honest.
--
-- Adding a CHECK locks messages ACCESS EXCLUSIVE until this file's
-- transaction ends, so it is added NOT VALID (every later write is checked,
-- the rows already there are not scanned) and the UPDATE comes before it,
-- holding only row locks. Migration 0006 validates it in a transaction of its
-- own, under a lock that lets reads and writes go on.
DELETE FROM reactions r USING messages m WHERE m.id = r.message_id AND m.deleted_at IS NOT NULL;
DELETE FROM attachments a USING messages m WHERE m.id = a.message_id AND m.deleted_at IS NOT NULL;
UPDATE messages SET
    type = 0, content = '', tts = false, mention_everyone = false,
    mention_ids = '{}', mention_role_ids = '{}',
    reference_message_id = NULL, reference_channel_id = NULL, reference_guild_id = NULL,
    pinned_at = NULL, flags = 0, nonce = NULL, edited_at = NULL
WHERE deleted_at IS NOT NULL;

ALTER TABLE messages ADD CONSTRAINT messages_deleted_are_erased CHECK (
    deleted_at IS NULL OR (
        type = 0 AND content = '' AND NOT tts AND NOT mention_everyone
        AND mention_ids = '{}' AND mention_role_ids = '{}'
        AND reference_message_id IS NULL AND reference_channel_id IS NULL
        AND reference_guild_id IS NULL
        AND pinned_at IS NULL AND flags = 0 AND nonce IS NULL AND edited_at IS NULL
    )
) NOT VALID;
