"""Guild roles in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.guild_rows import ROLE_COLUMNS, role_from_row
from accord.adapters.postgres.sql import (
    Connection,
    missing_reference,
    rows_affected,
    unique_conflict,
)
from accord.core.entities import Role
from accord.core.errors import NotFound, Resource
from accord.core.snowflake import Snowflake

_ROLE_ORDER = "ORDER BY r.position, r.id"


class PgRoleRepository(PgRepository):
    @on_database
    async def create_role(self, role: Role) -> Role:
        async with self._pool.acquire() as connection:
            try:
                row = await connection.fetchrow(
                    "INSERT INTO roles AS r (id, guild_id, name, permissions, position, color,"
                    " hoist, managed, mentionable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    f" RETURNING {ROLE_COLUMNS}",
                    role.id,
                    role.guild_id,
                    role.name,
                    int(role.permissions),
                    role.position,
                    role.color,
                    role.hoist,
                    role.managed,
                    role.mentionable,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
        assert row is not None  # INSERT ... RETURNING always yields the row
        return role_from_row(row)

    @on_database
    async def get_role(self, guild_id: Snowflake, role_id: Snowflake) -> Role | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {ROLE_COLUMNS} FROM roles r WHERE r.guild_id = $1 AND r.id = $2",
                guild_id,
                role_id,
            )
        return None if row is None else role_from_row(row)

    @on_database
    async def list_roles(self, guild_id: Snowflake) -> list[Role]:
        async with self._pool.acquire() as connection:
            return await _roles_of(connection, guild_id)

    @on_database
    async def update_role(self, role: Role) -> Role | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                "UPDATE roles AS r SET name = $3, permissions = $4, position = $5, color = $6,"
                " hoist = $7, mentionable = $8 WHERE r.guild_id = $1 AND r.id = $2"
                f" RETURNING {ROLE_COLUMNS}",
                role.guild_id,
                role.id,
                role.name,
                int(role.permissions),
                role.position,
                role.color,
                role.hoist,
                role.mentionable,
            )
        return None if row is None else role_from_row(row)

    @on_database
    async def delete_role(self, guild_id: Snowflake, role_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection, connection.transaction():
            # @everyone is the guild's base permission set; it cannot be deleted.
            # Assignments go by the member_roles foreign key's cascade.
            status = await connection.execute(
                "DELETE FROM roles WHERE guild_id = $1 AND id = $2 AND id <> guild_id",
                guild_id,
                role_id,
            )
            if rows_deleted := rows_affected(status):
                # Overwrites name their target without a foreign key (it is a
                # role or a member), so the role's go by hand.
                await connection.execute(
                    "DELETE FROM permission_overwrites o USING channels c"
                    " WHERE o.channel_id = c.id AND c.guild_id = $1"
                    " AND o.target_id = $2 AND o.target_type = 0",
                    guild_id,
                    role_id,
                )
        return rows_deleted == 1

    @on_database
    async def set_role_positions(
        self, guild_id: Snowflake, positions: Sequence[tuple[Snowflake, int]]
    ) -> list[Role]:
        """Apply all moves together; NotFound if an id is not a role of the guild."""
        moves = dict(positions)  # a role named twice ends at its last position
        async with self._pool.acquire() as connection, connection.transaction():
            status = await connection.execute(
                "UPDATE roles r SET position = p.position"
                " FROM unnest($2::bigint[], $3::int[]) AS p(id, position)"
                " WHERE r.guild_id = $1 AND r.id = p.id",
                guild_id,
                list(moves),
                list(moves.values()),
            )
            if rows_affected(status) != len(moves):
                raise NotFound(Resource.ROLE)
            return await _roles_of(connection, guild_id)


async def _roles_of(connection: Connection, guild_id: Snowflake) -> list[Role]:
    rows = await connection.fetch(
        f"SELECT {ROLE_COLUMNS} FROM roles r WHERE r.guild_id = $1 {_ROLE_ORDER}", guild_id
    )
    return [role_from_row(row) for row in rows]
