"""Row-to-entity mapping for guilds, roles, guild channels and invites."""

from __future__ import annotations

import asyncpg

from accord.core.entities import Channel, ChannelType, Guild, Invite, Role
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.snowflake import Snowflake

GUILD_COLUMNS = "g.id, g.name, g.owner_id, g.icon, g.description"


def guild_from_row(row: asyncpg.Record) -> Guild:
    return Guild(
        id=Snowflake(row["id"]),
        name=row["name"],
        owner_id=Snowflake(row["owner_id"]),
        icon=row["icon"],
        description=row["description"],
    )


ROLE_COLUMNS = (
    "r.id, r.guild_id, r.name, r.permissions, r.position, r.color, r.hoist, r.managed, "
    "r.mentionable"
)


def role_from_row(row: asyncpg.Record) -> Role:
    return Role(
        id=Snowflake(row["id"]),
        guild_id=Snowflake(row["guild_id"]),
        name=row["name"],
        permissions=Permission(row["permissions"]),
        position=row["position"],
        color=row["color"],
        hoist=row["hoist"],
        managed=row["managed"],
        mentionable=row["mentionable"],
    )


# A guild channel from ``channels`` as ``c``; its overwrites come along as rows
# of [target_id, target_type, allow, deny] so one query reads both.
CHANNEL_COLUMNS = (
    "c.id, c.type, c.guild_id, c.name, c.topic, c.position, c.parent_id, c.last_message_id, "
    "ARRAY(SELECT ARRAY[o.target_id, o.target_type::bigint, o.allow, o.deny]"
    " FROM permission_overwrites o WHERE o.channel_id = c.id ORDER BY o.target_id) AS overwrites"
)


def channel_from_row(row: asyncpg.Record) -> Channel:
    return Channel(
        id=Snowflake(row["id"]),
        type=ChannelType(row["type"]),
        guild_id=Snowflake(row["guild_id"]),
        name=row["name"],
        topic=row["topic"],
        position=row["position"],
        parent_id=None if row["parent_id"] is None else Snowflake(row["parent_id"]),
        last_message_id=(
            None if row["last_message_id"] is None else Snowflake(row["last_message_id"])
        ),
        overwrites=tuple(
            Overwrite(target, OverwriteType(kind), Permission(allow), Permission(deny))
            for target, kind, allow, deny in row["overwrites"]
        ),
    )


INVITE_COLUMNS = (
    "i.code, i.guild_id, i.channel_id, i.inviter_id, i.created_at, i.uses, i.max_uses, "
    "i.max_age, i.temporary"
)


def invite_from_row(row: asyncpg.Record) -> Invite:
    return Invite(
        code=row["code"],
        guild_id=Snowflake(row["guild_id"]),
        channel_id=Snowflake(row["channel_id"]),
        inviter_id=None if row["inviter_id"] is None else Snowflake(row["inviter_id"]),
        created_at=row["created_at"],
        uses=row["uses"],
        max_uses=row["max_uses"],
        max_age=row["max_age"],
        temporary=row["temporary"],
    )
