"""The typing indicator: TYPING_START to whoever can see the channel."""

from __future__ import annotations

from typing import Protocol

from accord.core.clock import Clock
from accord.core.errors import Conflict
from accord.core.permissions import Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.ratelimit import RateLimit, RateLimiter
from accord.core.ports.storage import AccessRepository, MemberRepository, UserRepository
from accord.core.services.access import channel_access
from accord.core.services.audience import channel_event
from accord.core.services.dm_consent import require_dm_open
from accord.core.shapes import JSON, member_shape
from accord.core.snowflake import Snowflake

# At most one TYPING_START per user and channel in this window. Clients show
# the indicator for 10 s and repeat the POST every 8-10 s while typing, so a
# 5 s window never hides a real refresh; it only stops a looping client from
# flooding the channel. Repeats inside the window still succeed (204), as
# Discord's do, so clients see no difference.
TYPING_THROTTLE = RateLimit("typing-start", limit=1, window=5.0)


class TypingServiceStorage(Protocol):
    """The repositories ``TypingService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def users(self) -> UserRepository: ...


class TypingService:
    def __init__(
        self, storage: TypingServiceStorage, bus: EventBus, throttle: RateLimiter, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._throttle = throttle
        self._clock = clock

    async def start(self, user_id: Snowflake, channel_id: Snowflake) -> bool:
        """Announce that the caller is typing; False when throttled (nothing was published).

        Refused where the caller could not send: a channel they may not send
        in, or a DM whose other recipient they may no longer message.
        """
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if not channel.type.holds_messages:
            raise Conflict("Cannot send messages in a non-text channel", discord_code=50008)
        access.require(Permission.SEND_MESSAGES)
        await require_dm_open(self._storage.users, channel, user_id)
        decision = await self._throttle.hit(TYPING_THROTTLE, f"{user_id}:{channel_id}")
        if not decision.allowed:
            return False
        data: JSON = {
            "channel_id": str(channel_id),
            "user_id": str(user_id),
            "timestamp": self._clock.now_ms() // 1000,
        }
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
            member = await self._storage.members.get_member(channel.guild_id, user_id)
            if member is not None:
                data["member"] = member_shape(member)
        await self._bus.publish(channel_event("TYPING_START", data, channel))
        return True
