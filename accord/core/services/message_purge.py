"""Deleting a banned user's recent messages from every channel of a guild."""

from __future__ import annotations

from collections.abc import Sequence

from accord.core.entities import Channel
from accord.core.events import Event
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import Storage
from accord.core.snowflake import Snowflake

# Messages read per round trip and deleted per bulk delete: Discord's bulk size.
PURGE_PAGE = 100


async def purge_recent_messages(
    storage: Storage,
    bus: EventBus,
    guild_id: Snowflake,
    author_id: Snowflake,
    since: Snowflake,
    reader_id: Snowflake,
) -> int:
    """Delete ``author_id``'s messages newer than ``since``; returns how many went.

    The storage port has no "messages by author" query, so each text channel's
    messages since ``since`` are paged through (``reader_id`` only decides the
    ``me`` of reactions, which is not used).
    """
    total = 0
    for channel in await storage.channels.list_guild_channels(guild_id):
        if not channel.type.holds_messages:
            continue
        doomed = await _authored_since(storage, channel.id, author_id, since, reader_id)
        for start in range(0, len(doomed), PURGE_PAGE):
            deleted = await storage.messages.bulk_delete_messages(
                channel.id, doomed[start : start + PURGE_PAGE]
            )
            if deleted:
                total += len(deleted)
                await bus.publish(_deleted_event(channel, guild_id, deleted))
    return total


async def _authored_since(
    storage: Storage,
    channel_id: Snowflake,
    author_id: Snowflake,
    since: Snowflake,
    reader_id: Snowflake,
) -> list[Snowflake]:
    found: list[Snowflake] = []
    after = since
    while True:
        page = await storage.messages.list_messages(
            channel_id, reader_id, after=after, limit=PURGE_PAGE
        )
        found.extend(m.id for m in page if m.author.id == author_id)
        if len(page) < PURGE_PAGE:
            return found
        after = max(m.id for m in page)


def _deleted_event(channel: Channel, guild_id: Snowflake, ids: Sequence[Snowflake]) -> Event:
    base = {"channel_id": str(channel.id), "guild_id": str(guild_id)}
    if len(ids) == 1:
        data: dict[str, object] = {"id": str(ids[0]), **base}
        kind = "MESSAGE_DELETE"
    else:
        data = {"ids": [str(i) for i in ids], **base}
        kind = "MESSAGE_DELETE_BULK"
    return Event(kind, data, guild_id=guild_id, channel_id=channel.id)
