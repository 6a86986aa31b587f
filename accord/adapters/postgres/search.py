"""Full-text message search over the stored ``search_vector`` column."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from accord.adapters.postgres.message_rows import MESSAGE_SELECT, message_from_row
from accord.core.entities import Message
from accord.core.snowflake import Snowflake


def _matches(first: int) -> str:
    """The search condition; guild, channels and query are ``$first`` and the next two."""
    guild, channels, query = first, first + 1, first + 2
    # websearch_to_tsquery takes what people type ("quoted phrases", -excluded,
    # or) and never raises on bad syntax. 'simple' is how search_vector was
    # built: no stemming or stop words, so every language matches alike.
    return (
        f"m.guild_id = ${guild} AND m.channel_id = ANY(${channels}::bigint[])"
        f" AND m.deleted_at IS NULL AND m.search_vector @@ websearch_to_tsquery('simple', ${query})"
    )


async def search_messages(
    pool: asyncpg.Pool,
    guild_id: Snowflake,
    channel_ids: Sequence[Snowflake],
    query: str,
    viewer_id: Snowflake,
    limit: int,
    offset: int,
) -> tuple[list[Message], int]:
    """A page of matches, newest first, and how many match in all (asyncio side)."""
    channels = list(channel_ids)
    async with pool.acquire() as connection:
        total = await connection.fetchval(
            f"SELECT count(*) FROM messages m WHERE {_matches(1)}",
            guild_id,
            channels,
            query,
        )
        rows = await connection.fetch(
            f"{MESSAGE_SELECT} WHERE {_matches(2)} ORDER BY m.id DESC LIMIT $5 OFFSET $6",
            viewer_id,
            guild_id,
            channels,
            query,
            limit,
            offset,
        )
    return [message_from_row(r) for r in rows], int(total)
