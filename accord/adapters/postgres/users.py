"""Users and human accounts in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.dm_standing import fetch_dm_standings
from accord.adapters.postgres.live_accounts import HOLD_FOR_DELETION
from accord.adapters.postgres.rows import USER_COLUMNS, user_from_row
from accord.adapters.postgres.sql import Connection, as_mapping, rows_affected, unique_conflict
from accord.adapters.postgres.tokens import revoke_tokens
from accord.core.entities import Account, User
from accord.core.ports.storage import AccountDeletion, DeletionOutcome, DmStanding, UserSettings
from accord.core.snowflake import Snowflake

_ACCOUNT_COLUMNS = f"{USER_COLUMNS}, u.email, u.password_hash, u.created_at"
# Bots have no email or password, so they never read as an Account.
_IS_ACCOUNT = "u.email IS NOT NULL AND u.password_hash IS NOT NULL"


_SETTINGS_COLUMNS = "allow_dms_from_anyone"


def _settings_from_row(row: asyncpg.Record) -> UserSettings:
    return UserSettings(allow_dms_from_anyone=row["allow_dms_from_anyone"])


def _account_from_row(row: asyncpg.Record) -> Account:
    return Account(
        user=user_from_row(as_mapping(row)),
        email=row["email"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
    )


class PgUserRepository(PgRepository):
    @on_database
    async def create_account(self, user: User, email: str, password_hash: str) -> Account:
        async with self._pool.acquire() as connection:
            try:
                row = await connection.fetchrow(
                    f"INSERT INTO users AS u (id, username, discriminator, global_name, avatar,"
                    " system, flags, email, password_hash)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    f" RETURNING {_ACCOUNT_COLUMNS}",
                    user.id,
                    user.username,
                    user.discriminator,
                    user.global_name,
                    user.avatar,
                    user.system,
                    user.flags,
                    email,
                    password_hash,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
        assert row is not None  # INSERT ... RETURNING always yields the row
        return _account_from_row(row)

    @on_database
    async def get_account_by_email(self, email: str) -> Account | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {_ACCOUNT_COLUMNS} FROM users u"
                f" WHERE lower(u.email) = lower($1) AND {_IS_ACCOUNT}",
                email,
            )
        return None if row is None else _account_from_row(row)

    @on_database
    async def get_account(self, user_id: Snowflake) -> Account | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {_ACCOUNT_COLUMNS} FROM users u WHERE u.id = $1 AND {_IS_ACCOUNT}",
                user_id,
            )
        return None if row is None else _account_from_row(row)

    @on_database
    async def get_user(self, user_id: Snowflake) -> User | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1", user_id
            )
        return None if row is None else user_from_row(as_mapping(row))

    @on_database
    async def get_users(self, user_ids: Sequence[Snowflake]) -> list[User]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ANY($1::bigint[])",
                list(user_ids),
            )
        return [user_from_row(as_mapping(row)) for row in rows]

    @on_database
    async def update_user(self, user: User) -> User | None:
        async with self._pool.acquire() as connection:
            try:
                row = await connection.fetchrow(
                    "UPDATE users AS u SET username = $2, global_name = $3, avatar = $4,"
                    f" updated_at = now() WHERE u.id = $1 RETURNING {USER_COLUMNS}",
                    user.id,
                    user.username,
                    user.global_name,
                    user.avatar,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
        return None if row is None else user_from_row(as_mapping(row))

    @on_database
    async def set_password_hash(self, user_id: Snowflake, password_hash: str) -> bool:
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND NOT bot",
                user_id,
                password_hash,
            )
        return rows_affected(status) == 1

    @on_database
    async def delete_account(self, user_id: Snowflake, username: str) -> AccountDeletion:
        async with self._pool.acquire() as connection, connection.transaction():
            return await _delete_account(connection, user_id, username)

    @on_database
    async def get_settings(self, user_id: Snowflake) -> UserSettings | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {_SETTINGS_COLUMNS} FROM users WHERE id = $1", user_id
            )
        return None if row is None else _settings_from_row(row)

    @on_database
    async def update_settings(
        self, user_id: Snowflake, settings: UserSettings
    ) -> UserSettings | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                "UPDATE users SET allow_dms_from_anyone = $2, updated_at = now()"
                f" WHERE id = $1 RETURNING {_SETTINGS_COLUMNS}",
                user_id,
                settings.allow_dms_from_anyone,
            )
        return None if row is None else _settings_from_row(row)

    @on_database
    async def dm_standing(self, sender_id: Snowflake, recipient_id: Snowflake) -> DmStanding:
        async with self._pool.acquire() as connection:
            [standing] = await fetch_dm_standings(connection, [(sender_id, recipient_id)])
        return standing


async def _delete_account(
    connection: Connection, user_id: Snowflake, username: str
) -> AccountDeletion:
    """Within a transaction: ``UserRepository.delete_account``."""
    # Held to the commit: a join, guild creation or ownership transfer in
    # flight finishes first, and a later one finds the account deleted (see
    # live_accounts).
    found = await connection.fetchval(
        f"SELECT 1 FROM users WHERE id = $1 AND NOT bot AND deleted_at IS NULL {HOLD_FOR_DELETION}",
        user_id,
    )
    if found is None:
        return AccountDeletion(DeletionOutcome.NO_ACCOUNT)
    status = await connection.execute(
        "UPDATE users SET username = $2, global_name = NULL, avatar = NULL,"
        " email = NULL, password_hash = NULL, deleted_at = now(), updated_at = now()"
        " WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM guilds WHERE owner_id = $1)",
        user_id,
        username,
    )
    if rows_affected(status) != 1:
        return AccountDeletion(DeletionOutcome.OWNS_GUILDS)
    # member_roles rows go with the memberships (foreign key cascade).
    left = await connection.fetch(
        "DELETE FROM members WHERE user_id = $1 RETURNING guild_id", user_id
    )
    await revoke_tokens(connection, "user_id", user_id)
    guild_ids = sorted(Snowflake(row["guild_id"]) for row in left)
    return AccountDeletion(DeletionOutcome.DELETED, tuple(guild_ids))
