"""Storing a new message: the row, its attachments, the channel's last_message_id, nonce dedup;
and a whole send (access read, compose, reply check, store) on one connection."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from accord.adapters.postgres.channel_rows import fetch_channel_context
from accord.adapters.postgres.message_rows import MESSAGE_SELECT, author_from_row, message_from_row
from accord.adapters.postgres.rows import USER_COLUMNS
from accord.core.entities import Message, NewMessage
from accord.core.ports.storage import ChannelContext, SentMessage
from accord.core.snowflake import Snowflake

# One statement stores the message, advances the channel and reads the author.
_INSERT_MESSAGE = (
    "WITH stored AS ("
    " INSERT INTO messages (id, channel_id, guild_id, author_id, type, content, tts,"
    " mention_everyone, mention_ids, mention_role_ids, reference_message_id,"
    " reference_channel_id, reference_guild_id, nonce)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING author_id),"
    " advanced AS (UPDATE channels SET last_message_id = GREATEST(last_message_id, $1)"
    " WHERE id = $2)"
    f" SELECT {USER_COLUMNS} FROM stored JOIN users u ON u.id = stored.author_id"
)

_INSERT_ATTACHMENT = (
    "INSERT INTO attachments (id, message_id, filename, content_type, size, url, proxy_url,"
    " width, height) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


_LIVE_IN_CHANNEL = (
    "SELECT EXISTS (SELECT 1 FROM messages"
    " WHERE id = $1 AND channel_id = $2 AND deleted_at IS NULL)"
)


async def store_message(pool: asyncpg.Pool, message: NewMessage, enforce_nonce: bool) -> Message:
    """Insert ``message``; with ``enforce_nonce``, the author's earlier send if there is one."""
    async with pool.acquire() as connection:
        return await _store(connection, message, enforce_nonce)


async def send_message(
    pool: asyncpg.Pool,
    channel_id: Snowflake,
    author_id: Snowflake,
    compose: Callable[[ChannelContext | None], NewMessage],
    enforce_nonce: bool,
) -> SentMessage | None:
    """``MessageRepository.send_message``: every query of a send on one pooled connection.

    Not one transaction: at READ COMMITTED it would not keep a permission
    change from landing between the read and the insert either, and BEGIN and
    COMMIT would add two round trips to every send. The insert itself is one
    statement (or, for nonces, one transaction), so a send is stored whole or
    not at all, as before this was one crossing.
    """
    async with pool.acquire() as connection:
        found = await fetch_channel_context(connection, channel_id, author_id)
        message = compose(found)  # raises to refuse, before anything is written
        assert found is not None  # compose refuses an unknown channel
        reference = message.reference
        if reference is not None and not await connection.fetchval(
            _LIVE_IN_CHANNEL, reference.message_id, message.channel_id
        ):
            return None
        stored = await _store(connection, message, enforce_nonce)
        return SentMessage(stored, found[0], found[1])


async def _store(
    connection: PoolConnectionProxy, message: NewMessage, enforce_nonce: bool
) -> Message:
    dedup = enforce_nonce and message.nonce is not None
    if not dedup and not message.attachments:
        return await _insert_message(connection, message)  # one statement, no BEGIN
    async with connection.transaction():
        if dedup:
            earlier = await _claim_nonce(connection, message)
            if earlier is not None:
                return earlier
        return await _insert_message(connection, message)


async def _insert_message(connection: PoolConnectionProxy, message: NewMessage) -> Message:
    reference = message.reference
    author_row = await connection.fetchrow(
        _INSERT_MESSAGE,
        message.id,
        message.channel_id,
        message.guild_id,
        message.author_id,
        message.type.value,
        message.content,
        message.tts,
        message.mention_everyone,
        list(message.mention_ids),
        list(message.mention_role_ids),
        None if reference is None else reference.message_id,
        None if reference is None else reference.channel_id,
        None if reference is None else reference.guild_id,
        None if message.nonce is None else str(message.nonce),
    )
    assert author_row is not None  # the author's foreign key held
    if message.attachments:
        await connection.executemany(
            _INSERT_ATTACHMENT,
            [
                (
                    a.id,
                    message.id,
                    a.filename,
                    a.content_type,
                    a.size,
                    a.url,
                    a.proxy_url,
                    a.width,
                    a.height,
                )
                for a in message.attachments
            ],
        )
    return Message(
        id=message.id,
        channel_id=message.channel_id,
        author=author_from_row(author_row),
        content=message.content,
        guild_id=message.guild_id,
        type=message.type,
        tts=message.tts,
        mention_everyone=message.mention_everyone,
        mention_ids=message.mention_ids,
        mention_role_ids=message.mention_role_ids,
        reference=reference,
        nonce=None if message.nonce is None else str(message.nonce),
        attachments=message.attachments,
    )


async def _claim_nonce(connection: PoolConnectionProxy, message: NewMessage) -> Message | None:
    """Lock the (channel, author, nonce) triple; the earlier live send with it, if any.

    The transaction-scoped advisory lock serializes two racing sends of one
    nonce, so the second one sees the first one's committed row.
    """
    await connection.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"nonce:{message.channel_id}:{message.author_id}:{message.nonce}",
    )
    row = await connection.fetchrow(
        f"{MESSAGE_SELECT} WHERE m.channel_id = $2 AND m.author_id = $1 AND m.nonce = $3"
        " AND m.deleted_at IS NULL ORDER BY m.id LIMIT 1",
        message.author_id,
        message.channel_id,
        str(message.nonce),
    )
    return None if row is None else message_from_row(row)
