"""Raw-SQL seeding for repository tests.

Users, guilds, roles and members are inserted directly, so tests of the
channel, message and access repositories do not depend on the repositories
that normally write those rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.clock import SystemClock
from accord.core.entities import User
from accord.core.permissions import DEFAULT_EVERYONE, Permission
from accord.core.snowflake import Snowflake, SnowflakeGenerator

# One generator for the whole session: ids stay unique and increasing.
_ids = SnowflakeGenerator(1, SystemClock())


def new_id() -> Snowflake:
    return _ids.next_id()


async def execute(storage: PostgresStorage, statement: str, *args: Any) -> None:
    async def run() -> None:
        async with storage.pool.acquire() as connection:
            await connection.execute(statement, *args)

    await storage._bridge.run(run)


async def fetch(storage: PostgresStorage, query: str, *args: Any) -> list[Any]:
    async def run() -> list[Any]:
        async with storage.pool.acquire() as connection:
            return list(await connection.fetch(query, *args))

    return await storage._bridge.run(run)


async def user(storage: PostgresStorage, name: str | None = None) -> User:
    """A human account; its User as the repositories should read it back."""
    user_id = new_id()
    username = name or f"user{user_id}"[:32]
    await execute(
        storage,
        "INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, 'x')",
        user_id,
        username,
        f"{user_id}@example.test",
    )
    return User(id=user_id, username=username)


async def guild(
    storage: PostgresStorage, owner: User, everyone: Permission = DEFAULT_EVERYONE
) -> Snowflake:
    """A guild with its @everyone role (the guild's own id) and the owner as member."""
    guild_id = new_id()
    await execute(
        storage,
        "INSERT INTO guilds (id, name, owner_id) VALUES ($1, 'guild', $2)",
        guild_id,
        owner.id,
    )
    await execute(
        storage,
        "INSERT INTO roles (id, guild_id, name, permissions) VALUES ($1, $1, '@everyone', $2)",
        guild_id,
        int(everyone),
    )
    await member(storage, guild_id, owner)
    return guild_id


async def role(
    storage: PostgresStorage, guild_id: Snowflake, permissions: Permission, position: int = 1
) -> Snowflake:
    role_id = new_id()
    await execute(
        storage,
        "INSERT INTO roles (id, guild_id, name, permissions, position)"
        " VALUES ($1, $2, 'role', $3, $4)",
        role_id,
        guild_id,
        int(permissions),
        position,
    )
    return role_id


async def member(
    storage: PostgresStorage,
    guild_id: Snowflake,
    member_user: User,
    role_ids: Sequence[Snowflake] = (),
) -> None:
    await execute(
        storage, "INSERT INTO members (guild_id, user_id) VALUES ($1, $2)", guild_id, member_user.id
    )
    for role_id in role_ids:
        await execute(
            storage,
            "INSERT INTO member_roles (guild_id, user_id, role_id) VALUES ($1, $2, $3)",
            guild_id,
            member_user.id,
            role_id,
        )


async def warm_pool(storage: PostgresStorage, connections: int) -> None:
    """Open ``connections`` pooled connections at once, so racing tests really race.

    Otherwise the pool connects lazily and the first contender is done before
    the others have a connection.
    """

    async def hold() -> None:
        async with storage.pool.acquire() as connection:
            await connection.execute("SELECT pg_sleep(0.05)")

    async def run() -> None:
        await asyncio.gather(*(hold() for _ in range(connections)))

    await storage._bridge.run(run)
