"""The PostgreSQL implementation of the storage port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import trio

from accord.adapters.bridge import Bridge, open_bridge
from accord.adapters.postgres.applications import PgApplicationRepository
from accord.adapters.postgres.bans import PgBanRepository
from accord.adapters.postgres.base import PgRepository, on_database
from accord.adapters.postgres.channels import PgAccessRepository, PgChannelRepository
from accord.adapters.postgres.guilds import PgGuildRepository
from accord.adapters.postgres.invites import PgInviteRepository
from accord.adapters.postgres.members import PgMemberRepository
from accord.adapters.postgres.messages import PgMessageRepository
from accord.adapters.postgres.reactions import PgReactionRepository
from accord.adapters.postgres.roles import PgRoleRepository
from accord.adapters.postgres.tokens import PgTokenRepository
from accord.adapters.postgres.users import PgUserRepository
from accord.core.ports.storage import Storage

# Bounded so a wedged database cannot hold shutdown forever.
POOL_CLOSE_TIMEOUT = 10.0


class PostgresStorage(PgRepository):
    def __init__(self, pool: asyncpg.Pool, bridge: Bridge) -> None:
        super().__init__(pool, bridge)
        self.users = PgUserRepository(pool, bridge)
        self.applications = PgApplicationRepository(pool, bridge)
        self.tokens = PgTokenRepository(pool, bridge)
        self.guilds = PgGuildRepository(pool, bridge)
        self.roles = PgRoleRepository(pool, bridge)
        self.members = PgMemberRepository(pool, bridge)
        self.bans = PgBanRepository(pool, bridge)
        self.invites = PgInviteRepository(pool, bridge)
        self.channels = PgChannelRepository(pool, bridge)
        self.access = PgAccessRepository(pool, bridge)
        self.messages = PgMessageRepository(pool, bridge)
        self.reactions = PgReactionRepository(pool, bridge)

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    @on_database
    async def ping(self) -> bool:
        try:
            async with self._pool.acquire(timeout=2) as connection:
                return bool(await connection.fetchval("SELECT 1", timeout=2))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset query.

    asyncpg still rolls back a transaction left open; the default reset adds
    ``RESET ALL; UNLISTEN *; pg_advisory_unlock_all(); CLOSE ALL`` as one more
    round trip on every release. The repositories keep no session state (locks
    are transaction-scoped, nothing is SET, LISTENed or DECLAREd), so that
    round trip would reset nothing.
    """


async def _create_pool(dsn: str, max_size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        command_timeout=30,
        reset=_keep_session,
        server_settings={"application_name": "accord"},
    )


async def _terminate(pool: asyncpg.Pool) -> None:
    pool.terminate()


@asynccontextmanager
async def open_postgres_storage(
    dsn: str, *, pool_size: int = 10, bridge: Bridge | None = None
) -> AsyncIterator[PostgresStorage]:
    """Connect a pool to ``dsn`` and yield the storage; the pool closes on exit."""
    if bridge is None:
        async with (
            open_bridge() as own_bridge,
            open_postgres_storage(dsn, pool_size=pool_size, bridge=own_bridge) as storage,
        ):
            yield storage
        return
    pool = await bridge.run(_create_pool, dsn, pool_size)
    try:
        yield PostgresStorage(pool, bridge)
    finally:
        with trio.move_on_after(POOL_CLOSE_TIMEOUT) as scope:
            scope.shield = True
            await bridge.run(pool.close)
        if scope.cancelled_caught:
            # The pool belongs to the asyncio loop, so even forcing it runs there.
            with trio.CancelScope(shield=True):
                await bridge.run(_terminate, pool)


# Checked by mypy: the adapter implements the whole storage port.
_PORT_CHECK: type[Storage] = PostgresStorage
