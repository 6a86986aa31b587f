"""PostgreSQL messages: send (with nonce dedup), history pages, edits, erasing deletes, pins."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg

from accord.adapters.bridge import Bridge
from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.message_rows import MESSAGE_COLUMNS, MESSAGE_SELECT, message_from_row
from accord.adapters.postgres.search import search_messages
from accord.adapters.postgres.send_batches import SendBatches
from accord.adapters.postgres.sending import store_one
from accord.core.entities import Message, NewMessage
from accord.core.ports.storage import ChannelContext, SentMessage
from accord.core.snowflake import MAX_SNOWFLAKE, Snowflake

_LIVE = "m.deleted_at IS NULL"

# What a delete leaves of a message: the tombstone that paging, the channel's
# last_message_id and replies to it rely on (id, channel, guild, author, when).
# Everything the author wrote goes; migration 0004's messages_deleted_are_erased
# refuses a deleted row that kept any of it. search_vector follows content.
_ERASED = (
    "deleted_at = now(), type = 0, content = '', tts = false, mention_everyone = false,"
    " mention_ids = '{}', mention_role_ids = '{}', reference_message_id = NULL,"
    " reference_channel_id = NULL, reference_guild_id = NULL, pinned_at = NULL, flags = 0,"
    " nonce = NULL, edited_at = NULL"
)


class PgMessageRepository(PgRepository):
    def __init__(self, pool: asyncpg.Pool, bridge: Bridge) -> None:
        super().__init__(pool, bridge)
        self._sends = SendBatches(pool)

    @on_database
    async def create_message(self, message: NewMessage, *, enforce_nonce: bool = False) -> Message:
        async with self._pool.acquire() as connection:
            return await store_one(connection, message, enforce_nonce)

    @on_database
    async def send_message(
        self,
        channel_id: Snowflake,
        author_id: Snowflake,
        compose: Callable[[ChannelContext | None], NewMessage],
        *,
        enforce_nonce: bool = False,
    ) -> SentMessage | None:
        # Concurrent sends share statements (send_batches); each still gets its own outcome.
        return await self._sends.send(channel_id, author_id, compose, enforce_nonce)

    @on_database
    async def get_message(
        self, channel_id: Snowflake, message_id: Snowflake, viewer_id: Snowflake
    ) -> Message | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"{MESSAGE_SELECT} WHERE m.channel_id = $2 AND m.id = $3 AND {_LIVE}",
                viewer_id,
                channel_id,
                message_id,
            )
        return None if row is None else message_from_row(row)

    @on_database
    async def list_messages(
        self,
        channel_id: Snowflake,
        viewer_id: Snowflake,
        *,
        before: Snowflake | None = None,
        after: Snowflake | None = None,
        around: Snowflake | None = None,
        limit: int = 50,
    ) -> list[Message]:
        """Newest first, keyset on ids; at most one of before/after/around.

        ``after`` gives the ``limit`` messages right after the id; ``around``
        gives up to ``limit`` centred on it: the older half (the id itself
        included) and the newer half, as Discord does.
        """
        if sum(anchor is not None for anchor in (before, after, around)) > 1:
            raise ValueError("at most one of before, after and around")
        if limit <= 0:
            return []
        page = "SELECT id FROM messages WHERE channel_id = $2 AND deleted_at IS NULL"
        if around is not None:
            newer = limit // 2
            query = (
                f"{MESSAGE_SELECT} WHERE m.id IN ("
                f"({page} AND id <= $3 ORDER BY id DESC LIMIT $4) UNION ALL"
                f" ({page} AND id > $3 ORDER BY id LIMIT $5)) ORDER BY m.id DESC"
            )
            args: tuple[object, ...] = (around, limit - newer, newer)
        elif after is not None:
            query = (
                f"{MESSAGE_SELECT} WHERE m.id IN ({page} AND id > $3 ORDER BY id LIMIT $4)"
                " ORDER BY m.id DESC"
            )
            args = (after, limit)
        else:
            query = (
                f"{MESSAGE_SELECT} WHERE m.channel_id = $2 AND {_LIVE} AND m.id < $3"
                " ORDER BY m.id DESC LIMIT $4"
            )
            args = (MAX_SNOWFLAKE if before is None else before, limit)
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(query, viewer_id, channel_id, *args)
        return [message_from_row(r) for r in rows]

    @on_database
    async def update_message(
        self,
        channel_id: Snowflake,
        message_id: Snowflake,
        *,
        content: str,
        mention_ids: Sequence[Snowflake],
        edited_at: datetime,
        viewer_id: Snowflake,
    ) -> Message | None:
        """Write content, mentions and the edit time of a live message."""
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                "UPDATE messages m SET content = $4, mention_ids = $5, edited_at = $6"
                f" FROM users u WHERE u.id = m.author_id AND m.channel_id = $2 AND m.id = $3"
                f" AND {_LIVE} RETURNING {MESSAGE_COLUMNS}",
                viewer_id,
                channel_id,
                message_id,
                content,
                list(mention_ids),
                edited_at,
            )
        return None if row is None else message_from_row(row)

    @on_database
    async def delete_message(self, channel_id: Snowflake, message_id: Snowflake) -> bool:
        """Erase a live message to its tombstone; False if there is none to delete."""
        deleted = await self._erase("channel_id = $1 AND id = $2", channel_id, message_id)
        return len(deleted) == 1

    @on_database
    async def bulk_delete_messages(
        self, channel_id: Snowflake, message_ids: Sequence[Snowflake]
    ) -> list[Snowflake]:
        """Erase the live ones among ``message_ids``; returns them in the given order."""
        rows = await self._erase(
            "channel_id = $1 AND id = ANY($2::bigint[])", channel_id, list(message_ids)
        )
        deleted = {r["id"] for r in rows}
        return list(dict.fromkeys(i for i in message_ids if i in deleted))

    @on_database
    async def delete_author_messages(
        self, guild_id: Snowflake, author_id: Snowflake, since: Snowflake
    ) -> dict[Snowflake, list[Snowflake]]:
        rows = await self._erase(
            "author_id = $1 AND id > $2 AND guild_id = $3", author_id, since, guild_id
        )
        deleted: dict[Snowflake, list[Snowflake]] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            deleted.setdefault(Snowflake(row["channel_id"]), []).append(Snowflake(row["id"]))
        return deleted

    async def _erase(self, where: str, *args: object) -> list[asyncpg.Record]:
        """Delete the live messages matching ``where``: each becomes a tombstone.

        Returns the ``id`` and ``channel_id`` of each. Two statements, not one:
        the second reads reactions with a snapshot taken after the first holds
        the messages' row locks, so a reaction committed while the first waited
        is erased too (add_reaction locks its message FOR SHARE, so none can
        arrive after).
        """
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                f"UPDATE messages SET {_ERASED} WHERE {where} AND deleted_at IS NULL"
                " RETURNING id, channel_id",
                *args,
            )
            if rows:
                await connection.execute(
                    "WITH reactions_gone AS ("
                    " DELETE FROM reactions WHERE message_id = ANY($1::bigint[]))"
                    " DELETE FROM attachments WHERE message_id = ANY($1::bigint[])",
                    [r["id"] for r in rows],
                )
        return list(rows)

    @on_database
    async def set_pinned(
        self, channel_id: Snowflake, message_id: Snowflake, pinned: bool
    ) -> bool | None:
        async with self._pool.acquire() as connection, connection.transaction():
            # The row lock makes two racing pins agree on which one changed it.
            row = await connection.fetchrow(
                "SELECT pinned_at IS NOT NULL AS pinned FROM messages"
                " WHERE channel_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
                channel_id,
                message_id,
            )
            if row is None:
                return None
            if row["pinned"] == pinned:
                return False
            await connection.execute(
                "UPDATE messages SET pinned_at = CASE WHEN $2 THEN now() END WHERE id = $1",
                message_id,
                pinned,
            )
        return True

    @on_database
    async def list_pins(self, channel_id: Snowflake, viewer_id: Snowflake) -> list[Message]:
        """Pinned live messages, most recently pinned first."""
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"{MESSAGE_SELECT} WHERE m.channel_id = $2 AND m.pinned_at IS NOT NULL"
                f" AND {_LIVE} ORDER BY m.pinned_at DESC, m.id DESC",
                viewer_id,
                channel_id,
            )
        return [message_from_row(r) for r in rows]

    @on_database
    async def search_messages(
        self,
        guild_id: Snowflake,
        channel_ids: Sequence[Snowflake],
        query: str,
        viewer_id: Snowflake,
        *,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Message], int]:
        """Full-text matches within the given channels, newest first, and the total."""
        if not channel_ids or limit <= 0:
            return [], 0
        return await search_messages(
            self._pool, guild_id, channel_ids, query, viewer_id, limit, offset
        )
