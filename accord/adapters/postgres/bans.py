"""Guild bans in PostgreSQL."""

from __future__ import annotations

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.membership import lock_guild
from accord.adapters.postgres.rows import USER_COLUMNS, user_from_row
from accord.adapters.postgres.sql import as_mapping, missing_reference, rows_affected
from accord.core.entities import Ban
from accord.core.snowflake import Snowflake

_SELECT = (
    f"SELECT b.guild_id, b.reason, {USER_COLUMNS} FROM bans b JOIN users u ON u.id = b.user_id"
)


def _ban_from_row(row: asyncpg.Record) -> Ban:
    return Ban(
        guild_id=Snowflake(row["guild_id"]),
        user=user_from_row(as_mapping(row)),
        reason=row["reason"],
    )


class PgBanRepository(PgRepository):
    @on_database
    async def ban(
        self, guild_id: Snowflake, user_id: Snowflake, reason: str | None, banned_by: Snowflake
    ) -> bool:
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    # Waits for joins in flight, so none of them slips in after the ban.
                    await lock_guild(connection, guild_id, for_ban=True)
                    inserted = await connection.fetchval(
                        "INSERT INTO bans (guild_id, user_id, reason, banned_by)"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
                        guild_id,
                        user_id,
                        reason,
                        banned_by,
                    )
                    if inserted is None:
                        return False
                    # member_roles rows go with the membership (foreign key cascade).
                    await connection.execute(
                        "DELETE FROM members WHERE guild_id = $1 AND user_id = $2",
                        guild_id,
                        user_id,
                    )
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
        return True

    @on_database
    async def unban(self, guild_id: Snowflake, user_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "DELETE FROM bans WHERE guild_id = $1 AND user_id = $2", guild_id, user_id
            )
        return rows_affected(status) == 1

    @on_database
    async def get_ban(self, guild_id: Snowflake, user_id: Snowflake) -> Ban | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"{_SELECT} WHERE b.guild_id = $1 AND b.user_id = $2", guild_id, user_id
            )
        return None if row is None else _ban_from_row(row)

    @on_database
    async def list_bans(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1000
    ) -> list[Ban]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"{_SELECT} WHERE b.guild_id = $1 AND ($2::bigint IS NULL OR b.user_id > $2)"
                " ORDER BY b.user_id LIMIT $3",
                guild_id,
                after,
                max(limit, 0),
            )
        return [_ban_from_row(row) for row in rows]
