"""Guild invites in PostgreSQL, and joining through them."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.guild_rows import INVITE_COLUMNS, invite_from_row
from accord.adapters.postgres.membership import join
from accord.adapters.postgres.sql import Connection, missing_reference, unique_conflict
from accord.core.entities import Invite, Member
from accord.core.errors import NotFound, Resource
from accord.core.snowflake import Snowflake


class PgInviteRepository(PgRepository):
    @on_database
    async def create_invite(self, invite: Invite) -> Invite:
        """Store the invite; NotFound (channel) if the channel is not one of its guild."""
        async with self._pool.acquire() as connection:
            try:
                # Selecting from the channel both checks that it belongs to the
                # guild and inserts nothing when it does not.
                row = await connection.fetchrow(
                    "INSERT INTO invites AS i (code, guild_id, channel_id, inviter_id, uses,"
                    " max_uses, max_age, temporary, created_at, expires_at)"
                    " SELECT $1, c.guild_id, c.id, $4, $5, $6, $7, $8, $9, $10"
                    " FROM channels c WHERE c.id = $3 AND c.guild_id = $2"
                    f" RETURNING {INVITE_COLUMNS}",
                    invite.code,
                    invite.guild_id,
                    invite.channel_id,
                    invite.inviter_id,
                    invite.uses,
                    invite.max_uses,
                    invite.max_age,
                    invite.temporary,
                    invite.created_at,
                    invite.expires_at,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
        if row is None:
            raise NotFound(Resource.CHANNEL)
        return invite_from_row(row)

    @on_database
    async def get_invite(self, code: str) -> Invite | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {INVITE_COLUMNS} FROM invites i WHERE i.code = $1", code
            )
        return None if row is None else invite_from_row(row)

    @on_database
    async def list_guild_invites(self, guild_id: Snowflake) -> list[Invite]:
        async with self._pool.acquire() as connection:
            return await _invites_where(connection, "guild_id", guild_id)

    @on_database
    async def list_channel_invites(self, channel_id: Snowflake) -> list[Invite]:
        async with self._pool.acquire() as connection:
            return await _invites_where(connection, "channel_id", channel_id)

    @on_database
    async def delete_invite(self, code: str) -> Invite | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"DELETE FROM invites i WHERE i.code = $1 RETURNING {INVITE_COLUMNS}", code
            )
        return None if row is None else invite_from_row(row)

    @on_database
    async def accept_invite(
        self, code: str, user_id: Snowflake, now: datetime
    ) -> tuple[Invite, Member | None]:
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    return await _accept(connection, code, user_id, now)
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None


async def _invites_where(connection: Connection, column: str, value: Snowflake) -> list[Invite]:
    rows = await connection.fetch(
        f"SELECT {INVITE_COLUMNS} FROM invites i WHERE i.{column} = $1"
        " ORDER BY i.created_at, i.code",
        value,
    )
    return [invite_from_row(row) for row in rows]


async def _accept(
    connection: Connection, code: str, user_id: Snowflake, now: datetime
) -> tuple[Invite, Member | None]:
    # Locked so concurrent uses of a one-use invite cannot both get in.
    row = await connection.fetchrow(
        f"SELECT {INVITE_COLUMNS}, i.expires_at FROM invites i WHERE i.code = $1 FOR UPDATE",
        code,
    )
    if row is None:
        raise NotFound(Resource.INVITE)
    expired = row["expires_at"] is not None and row["expires_at"] <= now
    used_up = row["max_uses"] > 0 and row["uses"] >= row["max_uses"]
    if expired or used_up:
        raise NotFound(Resource.INVITE)
    invite = invite_from_row(row)
    member = await join(connection, invite.guild_id, user_id, now)
    if member is None:
        return invite, None
    used = await connection.fetchrow(
        f"UPDATE invites i SET uses = uses + 1 WHERE i.code = $1 RETURNING {INVITE_COLUMNS}",
        code,
    )
    assert used is not None  # the row is locked by this transaction
    return invite_from_row(used), member
