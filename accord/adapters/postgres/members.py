"""Guild members and their roles in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.membership import fetch_member, join
from accord.adapters.postgres.rows import MEMBER_COLUMNS, member_from_row
from accord.adapters.postgres.sql import (
    Connection,
    as_mapping,
    missing_reference,
    rows_affected,
)
from accord.core.entities import Member
from accord.core.snowflake import Snowflake

_FROM = "FROM members m JOIN users u ON u.id = m.user_id"


class PgMemberRepository(PgRepository):
    @on_database
    async def add_member(
        self, guild_id: Snowflake, user_id: Snowflake, joined_at: datetime
    ) -> Member | None:
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    return await join(connection, guild_id, user_id, joined_at)
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None

    @on_database
    async def get_member(self, guild_id: Snowflake, user_id: Snowflake) -> Member | None:
        async with self._pool.acquire() as connection:
            return await fetch_member(connection, guild_id, user_id)

    @on_database
    async def list_members(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1
    ) -> list[Member]:
        async with self._pool.acquire() as connection:
            return await _fetch_members(
                connection,
                "m.guild_id = $1 AND ($2::bigint IS NULL OR m.user_id > $2)"
                " ORDER BY m.user_id LIMIT $3",
                guild_id,
                after,
                max(limit, 0),
            )

    @on_database
    async def search_members(self, guild_id: Snowflake, prefix: str, limit: int) -> list[Member]:
        async with self._pool.acquire() as connection:
            # starts_with takes the prefix literally, so % and _ in it match themselves.
            return await _fetch_members(
                connection,
                "m.guild_id = $1 AND (starts_with(lower(u.username), lower($2))"
                " OR starts_with(lower(m.nick), lower($2))) ORDER BY m.user_id LIMIT $3",
                guild_id,
                prefix,
                max(limit, 0),
            )

    @on_database
    async def get_members(self, guild_id: Snowflake, user_ids: Sequence[Snowflake]) -> list[Member]:
        async with self._pool.acquire() as connection:
            return await _fetch_members(
                connection,
                "m.guild_id = $1 AND m.user_id = ANY($2::bigint[]) ORDER BY m.user_id",
                guild_id,
                list(user_ids),
            )

    @on_database
    async def update_member(
        self,
        guild_id: Snowflake,
        user_id: Snowflake,
        *,
        nick: str | None,
        role_ids: Sequence[Snowflake],
    ) -> Member | None:
        # Everyone holds @everyone implicitly; it is never stored as an assignment.
        roles = sorted({r for r in role_ids if r != guild_id})
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    status = await connection.execute(
                        "UPDATE members SET nick = $3 WHERE guild_id = $1 AND user_id = $2",
                        guild_id,
                        user_id,
                        nick,
                    )
                    if rows_affected(status) == 0:
                        return None
                    await connection.execute(
                        "DELETE FROM member_roles WHERE guild_id = $1 AND user_id = $2",
                        guild_id,
                        user_id,
                    )
                    # The composite foreign key rejects a role of another guild.
                    await connection.execute(
                        "INSERT INTO member_roles (guild_id, user_id, role_id)"
                        " SELECT $1, $2, unnest($3::bigint[])",
                        guild_id,
                        user_id,
                        roles,
                    )
                    return await fetch_member(connection, guild_id, user_id)
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None

    @on_database
    async def add_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool:
        """True if newly assigned, False if already held (@everyone always is).

        NotFound (member) for a non-member, NotFound (role) for a role not of the guild.
        """
        if role_id == guild_id:
            return False
        async with self._pool.acquire() as connection:
            try:
                status = await connection.execute(
                    "INSERT INTO member_roles (guild_id, user_id, role_id) VALUES ($1, $2, $3)"
                    " ON CONFLICT DO NOTHING",
                    guild_id,
                    user_id,
                    role_id,
                )
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
        return rows_affected(status) == 1

    @on_database
    async def remove_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "DELETE FROM member_roles WHERE guild_id = $1 AND user_id = $2 AND role_id = $3",
                guild_id,
                user_id,
                role_id,
            )
        return rows_affected(status) == 1

    @on_database
    async def remove_member(self, guild_id: Snowflake, user_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "DELETE FROM members WHERE guild_id = $1 AND user_id = $2", guild_id, user_id
            )
        return rows_affected(status) == 1

    @on_database
    async def count_members(self, guild_id: Snowflake) -> int:
        async with self._pool.acquire() as connection:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM members WHERE guild_id = $1", guild_id
            )
        return count

    @on_database
    async def list_guild_member_ids(self, guild_id: Snowflake) -> list[Snowflake]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT user_id FROM members WHERE guild_id = $1 ORDER BY user_id", guild_id
            )
        return [Snowflake(row["user_id"]) for row in rows]


async def _fetch_members(connection: Connection, where: str, *args: object) -> list[Member]:
    rows = await connection.fetch(f"SELECT {MEMBER_COLUMNS} {_FROM} WHERE {where}", *args)
    return [member_from_row(as_mapping(row)) for row in rows]
