"""PostgreSQL reactions: one row per (message, emoji, user)."""

from __future__ import annotations

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.message_rows import author_from_row
from accord.adapters.postgres.rows import USER_COLUMNS
from accord.core.entities import Emoji, User
from accord.core.snowflake import Snowflake


def emoji_key(emoji: Emoji) -> str:
    """The reactions table's generated ``emoji_key``: the same emoji, the same key.

    A custom emoji is keyed by id alone, since its name may change.
    """
    return f"u:{emoji.name}" if emoji.id is None else f"c:{emoji.id}"


# The live message the reaction belongs to; reactions on others are refused.
_TARGET = (
    "target AS (SELECT id FROM messages WHERE channel_id = $1 AND id = $2 AND deleted_at IS NULL)"
)
# The same, held FOR SHARE until the reaction is stored: a delete of the message
# (which erases its reactions) waits for it, or it waits for the delete and then
# finds no live message. Without the lock a reaction could outlive the erasure.
_LOCKED_TARGET = (
    "target AS (SELECT id FROM messages WHERE channel_id = $1 AND id = $2"
    " AND deleted_at IS NULL FOR SHARE)"
)


class PgReactionRepository(PgRepository):
    @on_database
    async def add_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool | None:
        """None for an unknown or deleted message; otherwise whether the reaction is new."""
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"WITH {_LOCKED_TARGET}, added AS ("
                " INSERT INTO reactions (message_id, user_id, emoji_name, emoji_id)"
                " SELECT id, $3, $4, $5 FROM target ON CONFLICT DO NOTHING RETURNING 1)"
                " SELECT EXISTS (SELECT 1 FROM target) AS found,"
                " EXISTS (SELECT 1 FROM added) AS added",
                channel_id,
                message_id,
                user_id,
                emoji.name,
                emoji.id,
            )
        assert row is not None  # a SELECT without FROM always gives its one row
        return bool(row["added"]) if row["found"] else None

    @on_database
    async def remove_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool:
        """Whether the user's reaction with ``emoji`` on a live message was there to remove."""
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "DELETE FROM reactions r USING messages m WHERE m.id = r.message_id"
                " AND m.channel_id = $1 AND m.id = $2 AND m.deleted_at IS NULL"
                " AND r.user_id = $3 AND r.emoji_key = $4",
                channel_id,
                message_id,
                user_id,
                emoji_key(emoji),
            )
        return status == "DELETE 1"

    @on_database
    async def list_reaction_users(
        self,
        message_id: Snowflake,
        emoji: Emoji,
        *,
        after: Snowflake | None = None,
        limit: int = 25,
    ) -> list[User]:
        """Who reacted with ``emoji`` on a live message, in user-id order after ``after``."""
        if limit <= 0:
            return []
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {USER_COLUMNS} FROM reactions r"
                " JOIN messages m ON m.id = r.message_id AND m.deleted_at IS NULL"
                " JOIN users u ON u.id = r.user_id"
                " WHERE r.message_id = $1 AND r.emoji_key = $2 AND r.user_id > $3"
                " ORDER BY r.user_id LIMIT $4",
                message_id,
                emoji_key(emoji),
                -1 if after is None else after,
                limit,
            )
        return [author_from_row(r) for r in rows]

    @on_database
    async def remove_all_reactions(
        self, channel_id: Snowflake, message_id: Snowflake, emoji: Emoji | None = None
    ) -> int | None:
        """Remove every reaction (or every one of ``emoji``); None for an unknown message."""
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"WITH {_TARGET}, removed AS ("
                " DELETE FROM reactions r USING target WHERE r.message_id = target.id"
                " AND ($3::text IS NULL OR r.emoji_key = $3) RETURNING 1)"
                " SELECT EXISTS (SELECT 1 FROM target) AS found,"
                " (SELECT count(*) FROM removed) AS removed",
                channel_id,
                message_id,
                None if emoji is None else emoji_key(emoji),
            )
        assert row is not None  # a SELECT without FROM always gives its one row
        return int(row["removed"]) if row["found"] else None
