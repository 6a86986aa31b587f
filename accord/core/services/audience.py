"""Who an event about one channel goes to."""

from __future__ import annotations

from accord.core.entities import Channel
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.shapes import JSON


def channel_event(
    kind: str, data: JSON, channel: Channel, required: Permission = Permission.VIEW_CHANNEL
) -> Event:
    """An event for the DM's recipients, or for the guild members with ``required`` in it."""
    if channel.guild_id is None:
        return Event(kind, data, user_ids=frozenset(channel.recipient_ids))
    return Event(kind, data, guild_id=channel.guild_id, channel_id=channel.id, required=required)
