"""Row-to-entity mapping for channels and permission contexts."""

from __future__ import annotations

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.ports.storage import ChannelContext
from accord.core.snowflake import Snowflake

# Select list for a Channel from ``channels`` aliased as ``c``; overwrites and
# recipients come along as arrays so a channel is always one row.
CHANNEL_COLUMNS = (
    "c.id, c.type, c.guild_id, c.name, c.topic, c.position, c.parent_id, "
    "c.last_message_id, c.owner_id, "
    "ARRAY(SELECT ROW(o.target_id, o.target_type, o.allow, o.deny)"
    " FROM permission_overwrites o WHERE o.channel_id = c.id ORDER BY o.target_id) AS overwrites, "
    "ARRAY(SELECT cr.user_id FROM channel_recipients cr"
    " WHERE cr.channel_id = c.id ORDER BY cr.user_id) AS recipient_ids"
)


def channel_from_row(row: asyncpg.Record) -> Channel:
    return Channel(
        id=Snowflake(row["id"]),
        type=ChannelType(row["type"]),
        guild_id=_snowflake(row["guild_id"]),
        name=row["name"],
        topic=row["topic"],
        position=row["position"],
        parent_id=_snowflake(row["parent_id"]),
        last_message_id=_snowflake(row["last_message_id"]),
        owner_id=_snowflake(row["owner_id"]),
        overwrites=tuple(
            Overwrite(
                id=Snowflake(target_id),
                type=OverwriteType(target_type),
                allow=Permission(allow),
                deny=Permission(deny),
            )
            for target_id, target_type, allow, deny in row["overwrites"]
        ),
        recipient_ids=tuple(Snowflake(u) for u in row["recipient_ids"]),
    )


async def fetch_channel(connection: PoolConnectionProxy, channel_id: Snowflake) -> Channel | None:
    row = await connection.fetchrow(
        f"SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.id = $1", channel_id
    )
    return None if row is None else channel_from_row(row)


# Joins that bring one user's standing into a query over ``guilds`` aliased as
# ``g``; ``{user}`` is the placeholder of the user id. The member's roles are
# aggregated in a lateral subquery so the whole context stays one row.
PERMISSION_JOINS = (
    "LEFT JOIN roles everyone ON everyone.id = g.id "
    "LEFT JOIN members pm ON pm.guild_id = g.id AND pm.user_id = {user} "
    "LEFT JOIN LATERAL ("
    "SELECT array_agg(r.id ORDER BY r.id) AS role_ids,"
    " array_agg(r.permissions ORDER BY r.id) AS role_permissions,"
    " max(r.position) AS top_position"
    " FROM member_roles pmr JOIN roles r ON r.id = pmr.role_id"
    " WHERE pmr.guild_id = g.id AND pmr.user_id = {user}"
    ") pr ON true"
)

# Select list that pairs with PERMISSION_JOINS and permission_context_from_row.
PERMISSION_COLUMNS = (
    "g.id AS context_guild_id, g.owner_id AS guild_owner_id, "
    "COALESCE(everyone.permissions, 0) AS everyone_permissions, "
    "pm.user_id IS NOT NULL AS is_member, "
    "COALESCE(pr.role_ids, '{}') AS member_role_ids, "
    "COALESCE(pr.role_permissions, '{}') AS role_permissions, "
    "COALESCE(pr.top_position, 0) AS highest_role_position, "
    "pm.nick AS member_nick, pm.joined_at AS member_joined_at, "
    "COALESCE(pm.flags, 0) AS member_flags"
)


def permission_context_from_row(
    row: asyncpg.Record, user_id: Snowflake, channel: Channel | None = None
) -> PermissionContext:
    return PermissionContext(
        guild_id=Snowflake(row["context_guild_id"]),
        owner_id=Snowflake(row["guild_owner_id"]),
        user_id=user_id,
        is_member=row["is_member"],
        everyone=Permission(row["everyone_permissions"]),
        member_role_ids=tuple(Snowflake(r) for r in row["member_role_ids"]),
        role_permissions=tuple(Permission(p) for p in row["role_permissions"]),
        highest_role_position=row["highest_role_position"],
        channel=channel,
        nick=row["member_nick"],
        joined_at=row["member_joined_at"],
        member_flags=row["member_flags"],
    )


async def fetch_channel_context(
    connection: PoolConnectionProxy, channel_id: Snowflake, user_id: Snowflake
) -> ChannelContext | None:
    """The channel and, for a guild channel, the user's context (its ``channel`` set too)."""
    row = await connection.fetchrow(
        f"SELECT {CHANNEL_COLUMNS}, {PERMISSION_COLUMNS} FROM channels c"
        " LEFT JOIN guilds g ON g.id = c.guild_id"
        f" {PERMISSION_JOINS.format(user='$2')} WHERE c.id = $1",
        channel_id,
        user_id,
    )
    if row is None:
        return None
    channel = channel_from_row(row)
    if row["context_guild_id"] is None:
        return channel, None
    return channel, permission_context_from_row(row, user_id, channel)


def _snowflake(value: int | None) -> Snowflake | None:
    return None if value is None else Snowflake(value)
