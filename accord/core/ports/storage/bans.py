"""The bans repository."""

from __future__ import annotations

from typing import Protocol

from accord.core.entities import Ban
from accord.core.snowflake import Snowflake


class BanRepository(Protocol):
    async def ban(
        self, guild_id: Snowflake, user_id: Snowflake, reason: str | None, banned_by: Snowflake
    ) -> bool:
        """Ban and remove the member together; False if already banned."""
        ...

    async def unban(self, guild_id: Snowflake, user_id: Snowflake) -> bool: ...

    async def get_ban(self, guild_id: Snowflake, user_id: Snowflake) -> Ban | None: ...

    async def list_bans(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1000
    ) -> list[Ban]: ...
