"""Joining a guild, shared by direct joins and invites.

A ban and a join of the same guild must not interleave, or a user banned while
joining could end up a member. Joins hold the guild row FOR SHARE (joins do
not wait for each other) and bans hold it FOR NO KEY UPDATE (which waits for
joins and makes them wait), so each sees the other's committed result. Neither
mode conflicts with the key-share locks that foreign key checks take.
"""

from __future__ import annotations

from datetime import datetime

from accord.adapters.postgres.live_accounts import hold_live_account
from accord.adapters.postgres.rows import MEMBER_COLUMNS, member_from_row
from accord.adapters.postgres.sql import Connection, as_mapping
from accord.core.entities import Member
from accord.core.errors import Conflict, NotFound, Resource
from accord.core.snowflake import Snowflake

# Discord's "You are banned from this guild" (403 on the wire).
BANNED_DISCORD_CODE = 40007

_SELECT_MEMBER = (
    f"SELECT {MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id"
    " WHERE m.guild_id = $1 AND m.user_id = $2"
)


async def lock_guild(connection: Connection, guild_id: Snowflake, *, for_ban: bool) -> None:
    """Take the join/ban lock on the guild row; NotFound if there is no such guild."""
    mode = "NO KEY UPDATE" if for_ban else "SHARE"
    found = await connection.fetchval(f"SELECT 1 FROM guilds WHERE id = $1 FOR {mode}", guild_id)
    if found is None:
        raise NotFound(Resource.GUILD)


async def fetch_member(
    connection: Connection, guild_id: Snowflake, user_id: Snowflake
) -> Member | None:
    row = await connection.fetchrow(_SELECT_MEMBER, guild_id, user_id)
    return None if row is None else member_from_row(as_mapping(row))


async def join(
    connection: Connection, guild_id: Snowflake, user_id: Snowflake, joined_at: datetime
) -> Member | None:
    """Within a transaction: the new member, None if already one; Conflict if banned;
    NotFound (Unknown User) if the account is deleted, or being deleted."""
    await lock_guild(connection, guild_id, for_ban=False)
    await hold_live_account(connection, user_id)  # see live_accounts
    banned = await connection.fetchval(
        "SELECT 1 FROM bans WHERE guild_id = $1 AND user_id = $2", guild_id, user_id
    )
    if banned is not None:
        raise Conflict(
            "You are banned from this guild.", code="USER_BANNED", discord_code=BANNED_DISCORD_CODE
        )
    inserted = await connection.fetchval(
        "INSERT INTO members (guild_id, user_id, joined_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true",
        guild_id,
        user_id,
        joined_at,
    )
    if inserted is None:
        return None
    return await fetch_member(connection, guild_id, user_id)
