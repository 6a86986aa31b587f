"""Row-to-entity mapping for messages, with their author, attachments and reactions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import asyncpg

from accord.adapters.postgres.rows import USER_COLUMNS, user_from_row
from accord.core.entities import (
    Attachment,
    Emoji,
    Message,
    MessageReference,
    MessageType,
    ReactionCount,
    User,
)
from accord.core.snowflake import Snowflake

# Select list for a Message from ``messages`` as ``m`` joined to its author as
# ``u``. ``$1`` must be the viewer's id: it decides each reaction's ``me``.
# Reactions are aggregated per emoji, in the order each emoji was first used.
# A reply reads whether its parent is deleted by the parent's primary key.
MESSAGE_COLUMNS = (
    "m.id, m.channel_id, m.guild_id, m.type, m.content, m.tts, m.mention_everyone, "
    "m.mention_ids, m.mention_role_ids, m.reference_message_id, m.reference_channel_id, "
    "m.reference_guild_id, m.pinned_at, m.flags, m.nonce, m.edited_at, "
    "(m.reference_message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages rm"
    " WHERE rm.id = m.reference_message_id AND rm.deleted_at IS NULL)) AS reference_deleted, "
    f"{USER_COLUMNS}, "
    "ARRAY(SELECT ROW(a.id, a.filename, a.size, a.url, a.content_type, a.proxy_url,"
    " a.width, a.height) FROM attachments a WHERE a.message_id = m.id ORDER BY a.id)"
    " AS attachments, "
    "ARRAY(SELECT ROW(min(x.emoji_name), min(x.emoji_id), count(*), bool_or(x.user_id = $1))"
    " FROM reactions x WHERE x.message_id = m.id"
    " GROUP BY x.emoji_key ORDER BY min(x.created_at), x.emoji_key) AS reactions"
)

# A whole message query starts with this; callers add WHERE/ORDER BY with $2 on.
MESSAGE_SELECT = f"SELECT {MESSAGE_COLUMNS} FROM messages m JOIN users u ON u.id = m.author_id"


def message_from_row(row: asyncpg.Record) -> Message:
    reference = None
    if row["reference_message_id"] is not None:
        reference = MessageReference(
            message_id=Snowflake(row["reference_message_id"]),
            channel_id=Snowflake(row["reference_channel_id"]),
            guild_id=_snowflake(row["reference_guild_id"]),
        )
    return Message(
        id=Snowflake(row["id"]),
        channel_id=Snowflake(row["channel_id"]),
        author=author_from_row(row),
        content=row["content"],
        guild_id=_snowflake(row["guild_id"]),
        type=MessageType(row["type"]),
        edited_at=row["edited_at"],
        tts=row["tts"],
        mention_everyone=row["mention_everyone"],
        mention_ids=tuple(Snowflake(i) for i in row["mention_ids"]),
        mention_role_ids=tuple(Snowflake(i) for i in row["mention_role_ids"]),
        reference=reference,
        reference_deleted=row["reference_deleted"],
        pinned=row["pinned_at"] is not None,
        flags=row["flags"],
        nonce=row["nonce"],
        attachments=tuple(
            Attachment(
                id=Snowflake(a_id),
                filename=filename,
                size=size,
                url=url,
                content_type=content_type,
                proxy_url=proxy_url,
                width=width,
                height=height,
            )
            for a_id, filename, size, url, content_type, proxy_url, width, height in row[
                "attachments"
            ]
        ),
        reactions=tuple(
            ReactionCount(emoji=Emoji(name, _snowflake(emoji_id)), count=count, me=me)
            for name, emoji_id, count, me in row["reactions"]
        ),
    )


def author_from_row(row: asyncpg.Record) -> User:
    """The user read with USER_COLUMNS; a record reads like the mapping rows.py takes."""
    return user_from_row(cast(Mapping[str, Any], row))


def _snowflake(value: int | None) -> Snowflake | None:
    return None if value is None else Snowflake(value)
