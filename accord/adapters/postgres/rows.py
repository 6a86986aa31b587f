"""Row-to-entity mapping shared by the repositories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.core.entities import Member, User
from accord.core.snowflake import Snowflake

# Select list for a User from ``users`` aliased as ``u``; pair with user_from_row.
USER_COLUMNS = (
    "u.id AS user_id, u.username, u.discriminator, u.global_name, u.avatar, u.bot, "
    "u.system, u.flags AS user_flags, u.approved_intents"
)


def user_from_row(row: Mapping[str, Any]) -> User:
    return User(
        id=Snowflake(row["user_id"]),
        username=row["username"],
        discriminator=row["discriminator"],
        global_name=row["global_name"],
        avatar=row["avatar"],
        bot=row["bot"],
        system=row["system"],
        flags=row["user_flags"],
        approved_intents=row["approved_intents"],
    )


# Select list for a Member from ``members`` as ``m`` joined to ``users`` as ``u``;
# the role ids come from member_roles, aggregated in order.
MEMBER_COLUMNS = (
    f"m.guild_id, m.nick, m.joined_at, m.flags AS member_flags, {USER_COLUMNS}, "
    "ARRAY(SELECT mr.role_id FROM member_roles mr"
    " WHERE mr.guild_id = m.guild_id AND mr.user_id = m.user_id ORDER BY mr.role_id) AS role_ids"
)


def member_from_row(row: Mapping[str, Any]) -> Member:
    return Member(
        guild_id=Snowflake(row["guild_id"]),
        user=user_from_row(row),
        joined_at=row["joined_at"],
        nick=row["nick"],
        role_ids=tuple(Snowflake(r) for r in row["role_ids"]),
        flags=row["member_flags"],
    )
