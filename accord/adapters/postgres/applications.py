"""Bot applications and their bot users in PostgreSQL."""

from __future__ import annotations

import asyncpg

from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.rows import USER_COLUMNS, user_from_row
from accord.adapters.postgres.sql import (
    as_mapping,
    missing_reference,
    rows_affected,
    unique_conflict,
)
from accord.core.entities import Application
from accord.core.snowflake import Snowflake

# ``applications`` as ``a`` joined to its bot user as ``u``.
_SELECT = (
    "SELECT a.id, a.name, a.owner_id, a.description, a.bot_public,"
    f" {USER_COLUMNS} FROM applications a JOIN users u ON u.id = a.bot_user_id"
)


def _application_from_row(row: asyncpg.Record) -> Application:
    return Application(
        id=Snowflake(row["id"]),
        name=row["name"],
        owner_id=Snowflake(row["owner_id"]),
        bot=user_from_row(as_mapping(row)),
        description=row["description"],
        bot_public=row["bot_public"],
    )


class PgApplicationRepository(PgRepository):
    @on_database
    async def create_application(self, application: Application, token_hash: bytes) -> Application:
        bot = application.bot
        async with self._pool.acquire() as connection:
            try:
                async with connection.transaction():
                    # The bot user is always stored as a bot: it has no email or
                    # password and may share its name with other bots.
                    await connection.execute(
                        "INSERT INTO users (id, username, discriminator, global_name, avatar,"
                        " bot, flags, approved_intents) VALUES ($1, $2, $3, $4, $5, true, $6, $7)",
                        bot.id,
                        bot.username,
                        bot.discriminator,
                        bot.global_name,
                        bot.avatar,
                        bot.flags,
                        bot.approved_intents,
                    )
                    await connection.execute(
                        "INSERT INTO applications (id, name, description, owner_id, bot_user_id,"
                        " bot_public, bot_token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        application.id,
                        application.name,
                        application.description,
                        application.owner_id,
                        bot.id,
                        application.bot_public,
                        token_hash,
                    )
                    row = await connection.fetchrow(f"{_SELECT} WHERE a.id = $1", application.id)
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
            except asyncpg.ForeignKeyViolationError as exc:
                raise missing_reference(exc) from None
        assert row is not None  # inserted just above, in the same transaction
        return _application_from_row(row)

    @on_database
    async def get_application(self, application_id: Snowflake) -> Application | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(f"{_SELECT} WHERE a.id = $1", application_id)
        return None if row is None else _application_from_row(row)

    @on_database
    async def list_applications(self, owner_id: Snowflake) -> list[Application]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"{_SELECT} WHERE a.owner_id = $1 ORDER BY a.id", owner_id
            )
        return [_application_from_row(row) for row in rows]

    @on_database
    async def set_bot_token(self, application_id: Snowflake, token_hash: bytes) -> bool:
        async with self._pool.acquire() as connection:
            try:
                status = await connection.execute(
                    "UPDATE applications SET bot_token_hash = $2 WHERE id = $1",
                    application_id,
                    token_hash,
                )
            except asyncpg.UniqueViolationError as exc:
                raise unique_conflict(exc) from None
        return rows_affected(status) == 1

    @on_database
    async def get_bot_by_token(self, token_hash: bytes) -> Application | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(f"{_SELECT} WHERE a.bot_token_hash = $1", token_hash)
        return None if row is None else _application_from_row(row)
