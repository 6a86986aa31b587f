"""Guilds in PostgreSQL: creation with everything a guild starts with, and reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.channel_rows import CHANNEL_COLUMNS, channel_from_row
from accord.adapters.postgres.guild_rows import (
    GUILD_COLUMNS,
    ROLE_COLUMNS,
    guild_from_row,
    role_from_row,
)
from accord.adapters.postgres.live_accounts import hold_live_account
from accord.adapters.postgres.rows import MEMBER_COLUMNS, member_from_row
from accord.adapters.postgres.sql import (
    Connection,
    as_mapping,
    missing_reference,
    rows_affected,
    unique_conflict,
)
from accord.core.entities import Channel, Guild, Role
from accord.core.ports.storage import GuildCounts, GuildSnapshot
from accord.core.snowflake import Snowflake


class PgGuildRepository(PgRepository):
    @on_database
    async def create_guild(
        self, guild: Guild, everyone: Role, channels: Sequence[Channel], joined_at: datetime
    ) -> None:
        if everyone.id != guild.id or everyone.guild_id != guild.id:
            raise ValueError("the @everyone role must have its guild's id")
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    # A deleted account owns nothing (see live_accounts).
                    await hold_live_account(connection, guild.owner_id)
                    await connection.execute(
                        "INSERT INTO guilds (id, name, icon, description, owner_id)"
                        " VALUES ($1, $2, $3, $4, $5)",
                        guild.id,
                        guild.name,
                        guild.icon,
                        guild.description,
                        guild.owner_id,
                    )
                    await connection.execute(
                        "INSERT INTO roles (id, guild_id, name, permissions, position, color,"
                        " hoist, managed, mentionable) VALUES ($1, $1, $2, $3, 0, $4, $5, $6, $7)",
                        guild.id,
                        everyone.name,
                        int(everyone.permissions),
                        everyone.color,
                        everyone.hoist,
                        everyone.managed,
                        everyone.mentionable,
                    )
                    await _insert_channels(connection, guild.id, channels)
                    await connection.execute(
                        "INSERT INTO members (guild_id, user_id, joined_at) VALUES ($1, $2, $3)",
                        guild.id,
                        guild.owner_id,
                        joined_at,
                    )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None

    @on_database
    async def get_guild(self, guild_id: Snowflake) -> Guild | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {GUILD_COLUMNS} FROM guilds g WHERE g.id = $1", guild_id
            )
        return None if row is None else guild_from_row(row)

    @on_database
    async def get_guild_counts(self, guild_id: Snowflake) -> GuildCounts | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM members WHERE guild_id = g.id) AS members,"
                " (SELECT count(*) FROM channels WHERE guild_id = g.id) AS channels"
                " FROM guilds g WHERE g.id = $1",
                guild_id,
            )
        return None if row is None else GuildCounts(row["members"], row["channels"])

    @on_database
    async def get_guild_snapshot(
        self, guild_id: Snowflake, member_limit: int
    ) -> GuildSnapshot | None:
        async with (
            self._pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            guild = await connection.fetchrow(
                f"SELECT {GUILD_COLUMNS}, (SELECT count(*) FROM members m"
                " WHERE m.guild_id = g.id) AS member_count FROM guilds g WHERE g.id = $1",
                guild_id,
            )
            if guild is None:
                return None
            roles = await connection.fetch(
                f"SELECT {ROLE_COLUMNS} FROM roles r WHERE r.guild_id = $1"
                " ORDER BY r.position, r.id",
                guild_id,
            )
            channels = await connection.fetch(
                f"SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.guild_id = $1"
                " ORDER BY c.position, c.id",
                guild_id,
            )
            members = []
            if member_limit > 0:
                members = await connection.fetch(
                    f"SELECT {MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id"
                    " WHERE m.guild_id = $1 ORDER BY m.user_id LIMIT $2",
                    guild_id,
                    member_limit,
                )
        return GuildSnapshot(
            guild=guild_from_row(guild),
            roles=tuple(role_from_row(row) for row in roles),
            channels=tuple(channel_from_row(row) for row in channels),
            members=tuple(member_from_row(as_mapping(row)) for row in members),
            member_count=guild["member_count"],
        )

    @on_database
    async def update_guild(self, guild: Guild) -> Guild | None:
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                row = await connection.fetchrow(
                    "UPDATE guilds AS g SET name = $2, icon = $3, description = $4,"
                    f" owner_id = $5, updated_at = now() WHERE g.id = $1 RETURNING {GUILD_COLUMNS}",
                    guild.id,
                    guild.name,
                    guild.icon,
                    guild.description,
                    guild.owner_id,
                )
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
            if row is None:
                return None
            # The owner, new or not, is held against deletion until the commit
            # (undoing the update if it is deleted): ownership never passes to
            # an account being deleted (see live_accounts).
            await hold_live_account(connection, guild.owner_id)
        return guild_from_row(row)

    @on_database
    async def delete_guild(self, guild_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute("DELETE FROM guilds WHERE id = $1", guild_id)
        return rows_affected(status) == 1

    @on_database
    async def list_user_guilds(
        self,
        user_id: Snowflake,
        *,
        after: Snowflake | None = None,
        before: Snowflake | None = None,
        limit: int = 200,
    ) -> list[Guild]:
        backwards = before is not None and after is None
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {GUILD_COLUMNS} FROM members m JOIN guilds g ON g.id = m.guild_id"
                " WHERE m.user_id = $1 AND ($2::bigint IS NULL OR g.id > $2)"
                " AND ($3::bigint IS NULL OR g.id < $3)"
                f" ORDER BY g.id {'DESC' if backwards else 'ASC'} LIMIT $4",
                user_id,
                after,
                before,
                max(limit, 0),
            )
        guilds = [guild_from_row(row) for row in rows]
        return guilds[::-1] if backwards else guilds

    @on_database
    async def list_user_guild_ids(self, user_id: Snowflake) -> list[Snowflake]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT guild_id FROM members WHERE user_id = $1 ORDER BY guild_id", user_id
            )
        return [Snowflake(row["guild_id"]) for row in rows]


async def _insert_channels(
    connection: Connection, guild_id: Snowflake, channels: Sequence[Channel]
) -> None:
    # Top-level channels (categories) first, so children's parent_id finds them.
    ordered = sorted(channels, key=lambda channel: channel.parent_id is not None)
    await connection.executemany(
        "INSERT INTO channels (id, type, guild_id, name, topic, position, parent_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(c.id, int(c.type), guild_id, c.name, c.topic, c.position, c.parent_id) for c in ordered],
    )
    await connection.executemany(
        "INSERT INTO permission_overwrites (channel_id, target_id, target_type, allow, deny)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (c.id, o.id, int(o.type), int(o.allow), int(o.deny))
            for c in ordered
            for o in c.overwrites
        ],
    )
