-- Messages with their attachments and reactions.

CREATE TABLE messages (
    id                   BIGINT PRIMARY KEY,
    channel_id           BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    guild_id             BIGINT REFERENCES guilds (id) ON DELETE CASCADE,
    author_id            BIGINT NOT NULL REFERENCES users (id),
    type                 SMALLINT NOT NULL DEFAULT 0,
    content              TEXT NOT NULL CHECK (char_length(content) <= 2000),
    tts                  BOOLEAN NOT NULL DEFAULT false,
    mention_everyone     BOOLEAN NOT NULL DEFAULT false,
    mention_ids          BIGINT[] NOT NULL DEFAULT '{}',
    mention_role_ids     BIGINT[] NOT NULL DEFAULT '{}',
    -- a reply points at its parent; the parent may be deleted later
    reference_message_id BIGINT,
    reference_channel_id BIGINT,
    reference_guild_id   BIGINT,
    pinned_at            TIMESTAMPTZ,
    flags                INTEGER NOT NULL DEFAULT 0,
    nonce                TEXT CHECK (nonce IS NULL OR char_length(nonce) <= 25),
    edited_at            TIMESTAMPTZ,
    -- soft delete: the row stays for moderation and replies; reads skip it
    deleted_at           TIMESTAMPTZ,
    search_vector        TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED
);
-- history pages: newest first, keyset on id
CREATE INDEX messages_channel_history ON messages (channel_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX messages_pins ON messages (channel_id, pinned_at DESC)
    WHERE pinned_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX messages_search ON messages USING gin (search_vector) WHERE deleted_at IS NULL;
-- enforce_nonce looks up an author's earlier send with the same nonce
CREATE INDEX messages_nonce ON messages (channel_id, author_id, nonce) WHERE nonce IS NOT NULL;
CREATE INDEX messages_author ON messages (author_id, id);

CREATE TABLE attachments (
    id           BIGINT PRIMARY KEY,
    message_id   BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 1024),
    content_type TEXT,
    size         INTEGER NOT NULL CHECK (size >= 0),
    url          TEXT NOT NULL,
    proxy_url    TEXT,
    width        INTEGER CHECK (width IS NULL OR width >= 0),
    height       INTEGER CHECK (height IS NULL OR height >= 0)
);
CREATE INDEX attachments_message ON attachments (message_id);

-- A unicode emoji has no id, so a unique key over (emoji_id, emoji_name)
-- would let NULL ids repeat. emoji_key is never NULL: 'u:<char>' for unicode,
-- 'c:<id>' for custom (a custom emoji's name may change; its id does not).
CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji_name TEXT NOT NULL CHECK (char_length(emoji_name) BETWEEN 1 AND 64),
    emoji_id   BIGINT,
    emoji_key  TEXT NOT NULL GENERATED ALWAYS AS (
        CASE WHEN emoji_id IS NULL THEN 'u:' || emoji_name ELSE 'c:' || emoji_id::text END
    ) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, emoji_key, user_id)
);
