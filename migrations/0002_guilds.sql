-- Guilds and what hangs off them: roles, channels, overwrites, members,
-- member roles, DM recipients, bans and invites.

CREATE TABLE guilds (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    icon        TEXT,
    description TEXT CHECK (description IS NULL OR char_length(description) <= 300),
    owner_id    BIGINT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX guilds_owner ON guilds (owner_id);

-- The @everyone role has the guild's own id, as on Discord.
CREATE TABLE roles (
    id          BIGINT PRIMARY KEY,
    guild_id    BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    permissions BIGINT NOT NULL DEFAULT 0 CHECK (permissions >= 0),
    position    INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    color       INTEGER NOT NULL DEFAULT 0 CHECK (color BETWEEN 0 AND 16777215),
    hoist       BOOLEAN NOT NULL DEFAULT false,
    managed     BOOLEAN NOT NULL DEFAULT false,
    mentionable BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- lets member_roles insist that a role belongs to the member's guild
    UNIQUE (id, guild_id)
);
CREATE INDEX roles_guild ON roles (guild_id, position);

-- type: 0 guild text, 1 DM, 3 group DM, 4 category (Discord's numbers).
CREATE TABLE channels (
    id              BIGINT PRIMARY KEY,
    type            SMALLINT NOT NULL CHECK (type IN (0, 1, 3, 4)),
    guild_id        BIGINT REFERENCES guilds (id) ON DELETE CASCADE,
    name            TEXT CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 100),
    topic           TEXT CHECK (topic IS NULL OR char_length(topic) <= 1024),
    position        INTEGER NOT NULL DEFAULT 0,
    -- deleting a category leaves its channels at the top level, as Discord does
    parent_id       BIGINT REFERENCES channels (id) ON DELETE SET NULL,
    owner_id        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    last_message_id BIGINT,
    -- the two users of a one-to-one DM, smaller id first: one DM per pair
    dm_low          BIGINT,
    dm_high         BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((type IN (0, 4)) = (guild_id IS NOT NULL)),
    CHECK ((type = 1) = (dm_low IS NOT NULL AND dm_high IS NOT NULL)),
    CHECK (dm_low IS NULL OR dm_low <= dm_high),
    CHECK (type IN (0, 4) OR parent_id IS NULL)
);
CREATE INDEX channels_guild ON channels (guild_id, position) WHERE guild_id IS NOT NULL;
CREATE UNIQUE INDEX channels_dm_pair ON channels (dm_low, dm_high) WHERE type = 1;

-- target_type: 0 role, 1 member. No foreign key on target_id (it is either);
-- deleting a role deletes its overwrites in the same transaction.
CREATE TABLE permission_overwrites (
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    target_id   BIGINT NOT NULL,
    target_type SMALLINT NOT NULL CHECK (target_type IN (0, 1)),
    allow       BIGINT NOT NULL DEFAULT 0 CHECK (allow >= 0),
    deny        BIGINT NOT NULL DEFAULT 0 CHECK (deny >= 0),
    PRIMARY KEY (channel_id, target_id)
);
CREATE INDEX permission_overwrites_target ON permission_overwrites (target_id);

CREATE TABLE channel_recipients (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_recipients_user ON channel_recipients (user_id);

CREATE TABLE members (
    guild_id  BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nick      TEXT CHECK (nick IS NULL OR char_length(nick) BETWEEN 1 AND 32),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    flags     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, user_id)
);
-- the primary key serves "members of a guild"; this serves "guilds of a user"
CREATE INDEX members_user ON members (user_id, guild_id);

CREATE TABLE member_roles (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    role_id  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, role_id),
    FOREIGN KEY (guild_id, user_id) REFERENCES members (guild_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (role_id, guild_id) REFERENCES roles (id, guild_id) ON DELETE CASCADE,
    -- everyone has @everyone implicitly; it is never assigned
    CHECK (role_id <> guild_id)
);
CREATE INDEX member_roles_role ON member_roles (role_id);

CREATE TABLE bans (
    guild_id   BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     TEXT CHECK (reason IS NULL OR char_length(reason) <= 512),
    banned_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE invites (
    code       TEXT PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9]{2,32}$'),
    guild_id   BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    inviter_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    uses       INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    max_uses   INTEGER NOT NULL DEFAULT 0 CHECK (max_uses BETWEEN 0 AND 100),
    max_age    INTEGER NOT NULL DEFAULT 86400 CHECK (max_age BETWEEN 0 AND 604800),
    temporary  BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- created_at + max_age, or NULL for never; stored so expiry is one comparison
    expires_at TIMESTAMPTZ,
    CHECK (max_uses = 0 OR uses <= max_uses),
    CHECK ((max_age = 0) = (expires_at IS NULL))
);
CREATE INDEX invites_guild ON invites (guild_id);
CREATE INDEX invites_channel ON invites (channel_id);
