"""The guilds repository: guilds, their counts, and the snapshot GUILD_CREATE carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accord.core.entities import Channel, Guild, Member, Role
from accord.core.snowflake import Snowflake


@dataclass(frozen=True, slots=True)
class GuildCounts:
    member_count: int
    channel_count: int


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """A guild with what GUILD_CREATE and the guild GET carry."""

    guild: Guild
    roles: tuple[Role, ...]
    channels: tuple[Channel, ...]
    members: tuple[Member, ...]  # at most the requested number
    member_count: int


class GuildRepository(Protocol):
    async def create_guild(
        self, guild: Guild, everyone: Role, channels: Sequence[Channel], joined_at: datetime
    ) -> None:
        """Insert a guild with its @everyone role, first channels and the owner's membership.

        NotFound (Unknown User) if the owner's account is deleted or being deleted."""
        ...

    async def get_guild(self, guild_id: Snowflake) -> Guild | None: ...

    async def get_guild_counts(self, guild_id: Snowflake) -> GuildCounts | None: ...

    async def get_guild_snapshot(
        self, guild_id: Snowflake, member_limit: int
    ) -> GuildSnapshot | None: ...

    async def update_guild(self, guild: Guild) -> Guild | None:
        """Write name, icon, description and owner_id (ownership transfer).

        NotFound (Unknown User) if the owner is not a live account: ownership
        never passes to an account deleted or being deleted."""
        ...

    async def delete_guild(self, guild_id: Snowflake) -> bool: ...

    async def list_user_guilds(
        self,
        user_id: Snowflake,
        *,
        after: Snowflake | None = None,
        before: Snowflake | None = None,
        limit: int = 200,
    ) -> list[Guild]:
        """The user's guilds in id order."""
        ...

    async def list_user_guild_ids(self, user_id: Snowflake) -> list[Snowflake]: ...
