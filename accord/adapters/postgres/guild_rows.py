"""Row-to-entity mapping for guilds, roles, guild channels and invites."""

from __future__ import annotations

import asyncpg

from accord.core.entities import Guild, Invite, Role
from accord.core.permissions import Permission
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
