"""The members repository: guild membership, nicknames and member roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from accord.core.entities import Member
from accord.core.snowflake import Snowflake


class MemberRepository(Protocol):
    async def add_member(
        self, guild_id: Snowflake, user_id: Snowflake, joined_at: datetime
    ) -> Member | None:
        """Join a guild; None if already a member; Conflict (banned) if banned; NotFound
        (Unknown User) if the account is deleted or being deleted."""
        ...

    async def get_member(self, guild_id: Snowflake, user_id: Snowflake) -> Member | None: ...

    async def list_members(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1
    ) -> list[Member]:
        """Members in user-id order after ``after``."""
        ...

    async def search_members(self, guild_id: Snowflake, prefix: str, limit: int) -> list[Member]:
        """Members whose username or nick starts with ``prefix`` (case-insensitive)."""
        ...

    async def get_members(
        self, guild_id: Snowflake, user_ids: Sequence[Snowflake]
    ) -> list[Member]: ...

    async def update_member(
        self,
        guild_id: Snowflake,
        user_id: Snowflake,
        *,
        nick: str | None,
        role_ids: Sequence[Snowflake],
    ) -> Member | None:
        """Write nick and the full role set; NotFound (role) for a role not of the guild."""
        ...

    async def add_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool: ...

    async def remove_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool: ...

    async def remove_member(self, guild_id: Snowflake, user_id: Snowflake) -> bool: ...

    async def count_members(self, guild_id: Snowflake) -> int: ...

    async def list_guild_member_ids(self, guild_id: Snowflake) -> list[Snowflake]: ...
