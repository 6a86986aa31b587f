"""Keeping a deleted account out of guilds.

Deleting an account (``PgUserRepository.delete_account``) checks that it owns
no guild, erases it and removes its memberships in one transaction that
holds its user row FOR NO KEY UPDATE from the start. Whatever makes a user a
member or an owner (a join, creating a guild, an ownership transfer) first
holds the same row FOR SHARE, asking that the account is not deleted
(``hold_live_account``). The two modes conflict, so one waits for the other
to commit: a deletion then sees the membership or ownership that came first
(and removes it, or is refused), and a join or transfer that comes second
finds the account deleted and is refused.

Neither mode conflicts with the KEY SHARE locks foreign key checks take, so
a login or a token rotation racing the deletion never waits on it (the
deletion's revocation handles those), and joins do not wait for each other.
"""

from __future__ import annotations

from accord.adapters.postgres.sql import Connection
from accord.core.errors import NotFound, Resource
from accord.core.snowflake import Snowflake

# Taken by a deletion; conflicts with HOLD_FOR_MEMBERSHIP (and nothing lighter).
HOLD_FOR_DELETION = "FOR NO KEY UPDATE"
HOLD_FOR_MEMBERSHIP = "FOR SHARE"


async def hold_live_account(connection: Connection, user_id: Snowflake) -> None:
    """Within a transaction: hold the user's row against its deletion until commit.

    NotFound (Unknown User) if there is no such user or the account was
    deleted, also by a deletion this call waited for.
    """
    found = await connection.fetchval(
        f"SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL {HOLD_FOR_MEMBERSHIP}",
        user_id,
    )
    if found is None:
        raise NotFound(Resource.USER)
