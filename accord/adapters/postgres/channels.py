"""PostgreSQL channels: guild channels and their overwrites, DMs, group DMs, access."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.channel_rows import (
    CHANNEL_COLUMNS,
    PERMISSION_COLUMNS,
    PERMISSION_JOINS,
    channel_from_row,
    fetch_channel,
    fetch_channel_context,
    permission_context_from_row,
)
from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.errors import NotFound, Resource
from accord.core.permissions import Overwrite
from accord.core.ports.storage import ChannelContext, ChannelPosition
from accord.core.snowflake import Snowflake

_INSERT_CHANNEL = (
    "INSERT INTO channels (id, type, guild_id, name, topic, position, parent_id, owner_id,"
    " last_message_id, dm_low, dm_high) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)


def _dm_pair(channel: Channel) -> tuple[Snowflake, Snowflake]:
    if channel.type is not ChannelType.DM or len(channel.recipient_ids) != 2:
        raise ValueError("a DM has type DM and exactly two recipients")
    low, high = sorted(channel.recipient_ids)
    return low, high


async def _insert_channel(connection: PoolConnectionProxy, channel: Channel) -> None:
    low, high = _dm_pair(channel) if channel.type is ChannelType.DM else (None, None)
    await connection.execute(
        _INSERT_CHANNEL,
        channel.id,
        channel.type.value,
        channel.guild_id,
        channel.name,
        channel.topic,
        channel.position,
        channel.parent_id,
        channel.owner_id,
        channel.last_message_id,
        low,
        high,
    )
    if channel.recipient_ids:
        await connection.execute(
            "INSERT INTO channel_recipients (channel_id, user_id)"
            " SELECT $1, u FROM unnest($2::bigint[]) u ON CONFLICT DO NOTHING",
            channel.id,
            list(channel.recipient_ids),
        )
    for overwrite in channel.overwrites:
        await _upsert_overwrite(connection, channel.id, overwrite)


async def _upsert_overwrite(
    connection: PoolConnectionProxy, channel_id: Snowflake, overwrite: Overwrite
) -> None:
    await connection.execute(
        "INSERT INTO permission_overwrites (channel_id, target_id, target_type, allow, deny)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id, target_id) DO UPDATE"
        " SET target_type = excluded.target_type, allow = excluded.allow, deny = excluded.deny",
        channel_id,
        overwrite.id,
        overwrite.type.value,
        int(overwrite.allow),
        int(overwrite.deny),
    )


class PgChannelRepository(PgRepository):
    @on_database
    async def create_channel(self, channel: Channel) -> Channel:
        async with self._pool.acquire() as connection, connection.transaction():
            await _insert_channel(connection, channel)
            stored = await fetch_channel(connection, channel.id)
        assert stored is not None  # inserted in this very transaction
        return stored

    @on_database
    async def get_channel(self, channel_id: Snowflake) -> Channel | None:
        async with self._pool.acquire() as connection:
            return await fetch_channel(connection, channel_id)

    @on_database
    async def list_guild_channels(self, guild_id: Snowflake) -> list[Channel]:
        """The guild's channels in position order (ties broken by id)."""
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.guild_id = $1"
                " ORDER BY c.position, c.id",
                guild_id,
            )
        return [channel_from_row(r) for r in rows]

    @on_database
    async def update_channel(
        self, channel: Channel, *, overwrites: Sequence[Overwrite] | None = None
    ) -> Channel | None:
        async with self._pool.acquire() as connection, connection.transaction():
            found = await connection.fetchval(
                "UPDATE channels c SET name = $2, topic = $3, position = $4, parent_id = $5,"
                " updated_at = now() WHERE c.id = $1 RETURNING c.id",
                channel.id,
                channel.name,
                channel.topic,
                channel.position,
                channel.parent_id,
            )
            if found is None:
                return None
            if overwrites is not None:
                await connection.execute(
                    "DELETE FROM permission_overwrites WHERE channel_id = $1", channel.id
                )
                for overwrite in overwrites:
                    await _upsert_overwrite(connection, channel.id, overwrite)
            return await fetch_channel(connection, channel.id)

    @on_database
    async def delete_channel(self, channel_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute("DELETE FROM channels WHERE id = $1", channel_id)
        return status == "DELETE 1"

    @on_database
    async def set_channel_positions(
        self, guild_id: Snowflake, positions: Sequence[ChannelPosition]
    ) -> list[Channel]:
        """Apply all moves together and return the moved channels in position order.

        NotFound (channel) if a moved channel, or a new parent, is not a
        channel (a category, for parents) of the guild; then nothing moves.
        """
        moves = {p.id: p for p in positions}  # a repeated id: the last move wins
        parents = {p.parent_id for p in moves.values() if p.move_parent and p.parent_id}
        async with self._pool.acquire() as connection, connection.transaction():
            known_parents = await connection.fetchval(
                "SELECT count(*) FROM channels WHERE guild_id = $1 AND type = $2"
                " AND id = ANY($3::bigint[])",
                guild_id,
                ChannelType.GUILD_CATEGORY.value,
                list(parents),
            )
            if known_parents != len(parents):
                raise NotFound(Resource.CHANNEL)
            # In id order, as message batches lock channels: the two cannot deadlock.
            await connection.execute(
                "SELECT 1 FROM channels WHERE guild_id = $1 AND id = ANY($2::bigint[])"
                " ORDER BY id FOR NO KEY UPDATE",
                guild_id,
                list(moves),
            )
            rows = await connection.fetch(
                "UPDATE channels c SET position = p.position, updated_at = now(),"
                " parent_id = CASE WHEN p.move_parent THEN p.parent_id ELSE c.parent_id END"
                " FROM unnest($2::bigint[], $3::int[], $4::bigint[], $5::bool[])"
                " AS p(id, position, parent_id, move_parent)"
                f" WHERE c.id = p.id AND c.guild_id = $1 RETURNING {CHANNEL_COLUMNS}",
                guild_id,
                list(moves),
                [p.position for p in moves.values()],
                [p.parent_id for p in moves.values()],
                [p.move_parent for p in moves.values()],
            )
            if len(rows) != len(moves):
                # Raising inside the transaction rolls back the moves already made.
                raise NotFound(Resource.CHANNEL)
        channels = [channel_from_row(r) for r in rows]
        return sorted(channels, key=lambda c: (c.position, c.id))

    @on_database
    async def put_overwrite(self, channel_id: Snowflake, overwrite: Overwrite) -> None:
        """Create or replace the overwrite for its target; NotFound for an unknown channel."""
        async with self._pool.acquire() as connection:
            try:
                await _upsert_overwrite(connection, channel_id, overwrite)
            except asyncpg.ForeignKeyViolationError:
                raise NotFound(Resource.CHANNEL) from None

    @on_database
    async def delete_overwrite(self, channel_id: Snowflake, target_id: Snowflake) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "DELETE FROM permission_overwrites WHERE channel_id = $1 AND target_id = $2",
                channel_id,
                target_id,
            )
        return status == "DELETE 1"

    @on_database
    async def open_dm(self, candidate: Channel) -> Channel:
        low, high = _dm_pair(candidate)
        async with self._pool.acquire() as connection, connection.transaction():
            # ON CONFLICT makes two racing opens agree: the loser waits for the
            # winner's commit, inserts nothing and then reads the winner's row.
            created = await connection.fetchval(
                "INSERT INTO channels (id, type, dm_low, dm_high) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (dm_low, dm_high) WHERE type = 1 DO NOTHING RETURNING id",
                candidate.id,
                ChannelType.DM.value,
                low,
                high,
            )
            if created is not None:
                await connection.execute(
                    "INSERT INTO channel_recipients (channel_id, user_id)"
                    " SELECT $1, u FROM unnest($2::bigint[]) u ON CONFLICT DO NOTHING",
                    candidate.id,
                    [low, high],
                )
            row = await connection.fetchrow(
                f"SELECT {CHANNEL_COLUMNS} FROM channels c"
                " WHERE c.type = $1 AND c.dm_low = $2 AND c.dm_high = $3",
                ChannelType.DM.value,
                low,
                high,
            )
        assert row is not None  # inserted above, or the conflicting row exists
        return channel_from_row(row)

    @on_database
    async def list_private_channels(self, user_id: Snowflake) -> list[Channel]:
        """The user's DMs and group DMs in id order."""
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {CHANNEL_COLUMNS} FROM channel_recipients me"
                " JOIN channels c ON c.id = me.channel_id"
                " WHERE me.user_id = $1 AND c.guild_id IS NULL ORDER BY c.id",
                user_id,
            )
        return [channel_from_row(r) for r in rows]


class PgAccessRepository(PgRepository):
    @on_database
    async def permission_context(
        self, guild_id: Snowflake, user_id: Snowflake
    ) -> PermissionContext | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {PERMISSION_COLUMNS} FROM guilds g"
                f" {PERMISSION_JOINS.format(user='$2')} WHERE g.id = $1",
                guild_id,
                user_id,
            )
        return None if row is None else permission_context_from_row(row, user_id)

    @on_database
    async def channel_context(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> ChannelContext | None:
        """The channel and, for a guild channel, the context (its ``channel`` set too)."""
        async with self._pool.acquire() as connection:
            return await fetch_channel_context(connection, channel_id, user_id)
