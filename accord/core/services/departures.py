"""Events for a member leaving a guild, whether they left, were kicked or banned."""

from __future__ import annotations

from accord.core.entities import User
from accord.core.events import Event
from accord.core.ports.bus import EventBus
from accord.core.shapes import user_shape
from accord.core.snowflake import Snowflake


async def publish_departure(bus: EventBus, guild_id: Snowflake, user: User) -> None:
    """Tell the guild the member is gone, and the member that the guild is gone for them."""
    gone = frozenset({user.id})
    # ``affects`` on both: the gateway drops the user from the guild's audience
    # before delivering, so the removal reaches the remaining members only.
    await bus.publish(
        Event(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild_id), "user": user_shape(user)},
            guild_id=guild_id,
            affects=gone,
        )
    )
    await bus.publish(
        Event(
            "GUILD_DELETE",
            {"id": str(guild_id), "unavailable": False},
            guild_id=guild_id,
            user_ids=gone,
            affects=gone,
        )
    )
