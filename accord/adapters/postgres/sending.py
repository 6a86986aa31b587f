"""Storing one new message: the row, its attachments, the channel's last_message_id, nonce dedup.

``MessageRepository.create_message`` stores one with ``store_one``. Sends made
through ``MessageRepository.send_message`` go through send_batches, which
stores most of them many to a statement and the rest with ``store_one``.
"""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from accord.adapters.postgres.message_rows import MESSAGE_SELECT, author_from_row, message_from_row
from accord.adapters.postgres.rows import USER_COLUMNS
from accord.core.entities import Message, NewMessage, User

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


async def store_one(
    connection: PoolConnectionProxy, message: NewMessage, enforce_nonce: bool
) -> Message:
    """Insert ``message``; with ``enforce_nonce``, the earlier send of its nonce if there is one."""
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
    return new_message_stored(message, author_from_row(author_row))


def new_message_stored(message: NewMessage, author: User) -> Message:
    """The Message a stored NewMessage reads back as, without reading it back."""
    reference = message.reference
    return Message(
        id=message.id,
        channel_id=message.channel_id,
        author=author,
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
