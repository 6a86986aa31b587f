"""The channels repository: guild channels, their order and overwrites, and DMs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from accord.core.entities import Channel
from accord.core.permissions import Overwrite
from accord.core.snowflake import Snowflake


@dataclass(frozen=True, slots=True)
class ChannelPosition:
    id: Snowflake
    position: int
    parent_id: Snowflake | None = None
    move_parent: bool = False  # False leaves parent_id unchanged


class ChannelRepository(Protocol):
    async def create_channel(self, channel: Channel) -> Channel: ...

    async def get_channel(self, channel_id: Snowflake) -> Channel | None:
        """The channel with its overwrites and (for DMs) recipients."""
        ...

    async def list_guild_channels(self, guild_id: Snowflake) -> list[Channel]: ...

    async def update_channel(
        self, channel: Channel, *, overwrites: Sequence[Overwrite] | None = None
    ) -> Channel | None:
        """Write name, topic, position and parent_id, and with ``overwrites`` replace them all."""
        ...

    async def delete_channel(self, channel_id: Snowflake) -> bool: ...

    async def set_channel_positions(
        self, guild_id: Snowflake, positions: Sequence[ChannelPosition]
    ) -> list[Channel]:
        """Apply all moves together; NotFound if an id is not a channel of the guild."""
        ...

    async def put_overwrite(self, channel_id: Snowflake, overwrite: Overwrite) -> None: ...

    async def delete_overwrite(self, channel_id: Snowflake, target_id: Snowflake) -> bool: ...

    async def open_dm(self, candidate: Channel) -> Channel:
        """The DM between the candidate's two recipients: the existing one, or the candidate."""
        ...

    async def list_private_channels(self, user_id: Snowflake) -> list[Channel]: ...
