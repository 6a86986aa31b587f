"""Deleting a banned user's recent messages from every channel of a guild."""

from __future__ import annotations

from collections.abc import Sequence

from accord.core.events import Event
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import MessageRepository
from accord.core.snowflake import Snowflake

# Ids per MESSAGE_DELETE_BULK event, as Discord batches them.
EVENT_BATCH = 100


async def purge_recent_messages(
    messages: MessageRepository,
    bus: EventBus,
    guild_id: Snowflake,
    author_id: Snowflake,
    since: Snowflake,
) -> int:
    """Delete ``author_id``'s messages newer than ``since``; returns how many went."""
    deleted = await messages.delete_author_messages(guild_id, author_id, since)
    for channel_id, ids in deleted.items():
        for start in range(0, len(ids), EVENT_BATCH):
            await bus.publish(
                _deleted_event(channel_id, guild_id, ids[start : start + EVENT_BATCH])
            )
    return sum(len(ids) for ids in deleted.values())


def _deleted_event(channel_id: Snowflake, guild_id: Snowflake, ids: Sequence[Snowflake]) -> Event:
    base = {"channel_id": str(channel_id), "guild_id": str(guild_id)}
    if len(ids) == 1:
        data: dict[str, object] = {"id": str(ids[0]), **base}
        kind = "MESSAGE_DELETE"
    else:
        data = {"ids": [str(i) for i in ids], **base}
        kind = "MESSAGE_DELETE_BULK"
    return Event(kind, data, guild_id=guild_id, channel_id=channel_id)
