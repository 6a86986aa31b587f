"""The roles repository: a guild's roles and their order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from accord.core.entities import Role
from accord.core.snowflake import Snowflake


class RoleRepository(Protocol):
    async def create_role(self, role: Role) -> Role: ...

    async def get_role(self, guild_id: Snowflake, role_id: Snowflake) -> Role | None: ...

    async def list_roles(self, guild_id: Snowflake) -> list[Role]: ...

    async def update_role(self, role: Role) -> Role | None: ...

    async def delete_role(self, guild_id: Snowflake, role_id: Snowflake) -> bool:
        """Delete a role and unassign it from every member."""
        ...

    async def set_role_positions(
        self, guild_id: Snowflake, positions: Sequence[tuple[Snowflake, int]]
    ) -> list[Role]: ...
