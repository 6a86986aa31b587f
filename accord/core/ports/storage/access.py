"""The access repository: what a permission check reads, in one read."""

from __future__ import annotations

from typing import Protocol, TypeAlias

from accord.core.entities import Channel, PermissionContext
from accord.core.snowflake import Snowflake

# A channel and, for a guild channel, the caller's permission context in it.
ChannelContext: TypeAlias = tuple[Channel, PermissionContext | None]


class AccessRepository(Protocol):
    async def permission_context(
        self, guild_id: Snowflake, user_id: Snowflake
    ) -> PermissionContext | None:
        """Owner, @everyone and the member's roles in one read; None for an unknown guild."""
        ...

    async def channel_context(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> ChannelContext | None:
        """A channel and, for guild channels, the caller's permission context."""
        ...
