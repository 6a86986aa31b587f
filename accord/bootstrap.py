"""The composition root: the one place that builds adapters and services.

Every service is constructed here, once per process, and handed to the
surfaces in a `Services` container (accord/services.py); no surface builds
one of its own. Called from the CLI's entry points, never at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

from accord.adapters.crypto import Argon2PasswordHasher, JwtAccessTokens
from accord.adapters.memory.bus import InProcessEventBus
from accord.adapters.memory.invalidations import LocalInvalidations
from accord.adapters.memory.presence import InMemoryPresence
from accord.adapters.memory.ratelimit import InMemoryRateLimiter
from accord.adapters.postgres.storage import PostgresStorage, open_postgres_storage
from accord.adapters.redis.agreement import (
    WORKER_RENEW_S,
    check_jwt_secret,
    claim_worker_id,
    release_worker_id,
)
from accord.adapters.redis.bus import RedisEventBus
from accord.adapters.redis.client import UNAVAILABLE, RedisLink, open_redis
from accord.adapters.redis.handoff import RedisSessionHandoffs
from accord.adapters.redis.invalidations import RedisInvalidations
from accord.adapters.redis.presence import RedisPresence
from accord.adapters.redis.ratelimit import RedisRateLimiter
from accord.config import ConfigError, Settings
from accord.core.clock import Clock, SystemClock
from accord.core.ports.bus import EventBus
from accord.core.ports.handoff import SessionHandoffs
from accord.core.ports.invalidations import CacheInvalidations
from accord.core.ports.presence import PresenceStore
from accord.core.ports.ratelimit import RateLimiter
from accord.core.services.applications import ApplicationService
from accord.core.services.auth import AuthService
from accord.core.services.bans import BanService
from accord.core.services.channel_positions import ChannelPositionService
from accord.core.services.channels import ChannelService
from accord.core.services.guilds import GuildService
from accord.core.services.invites import InviteService
from accord.core.services.members import MemberService
from accord.core.services.message_search import SearchService
from accord.core.services.messages import MessageService
from accord.core.services.reactions import ReactionService
from accord.core.services.roles import RoleService
from accord.core.services.typing_indicator import TypingService
from accord.core.services.users import UserService
from accord.core.snowflake import SnowflakeGenerator
from accord.metrics import observe_state
from accord.services import Services

log = logging.getLogger("accord")


def jwt_secret(settings: Settings) -> bytes:
    """ACCORD_JWT_SECRET, or one generated once and kept in the data dir.

    Keeping it means a restart does not log everyone out. Processes that
    share a database must share the secret: set ACCORD_JWT_SECRET for them.
    """
    if settings.jwt_secret:
        return settings.jwt_secret.encode()
    path = Path(settings.data_dir) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def _pool_use(storage: PostgresStorage) -> dict[str, float]:
    size, idle = storage.pool.get_size(), storage.pool.get_idle_size()
    return {"in_use": size - idle, "idle": idle, "max": storage.pool.get_max_size()}


@dataclass(frozen=True, slots=True)
class SharedState:
    """What processes share: in process for one, on Redis when REDIS_URL is set."""

    bus: EventBus
    rate_limiter: RateLimiter
    presence: PresenceStore
    invalidations: CacheInvalidations
    handoffs: SessionHandoffs | None = None  # one process has nobody to hand sessions to


# Beyond a session's resume window, how long the bus keeps events: a gateway
# adopting a handed-over session replays since the session's position, and one
# whose Redis link dropped reads on from where it stopped.
BUS_RETENTION_MARGIN_S = 300.0


def _bus_retention_s(settings: Settings) -> float:
    return settings.resume_window_s + BUS_RETENTION_MARGIN_S


async def _renew_worker_lease(link: RedisLink, settings: Settings, process: str) -> None:
    while True:
        await trio.sleep(WORKER_RENEW_S)
        try:
            await claim_worker_id(link, settings.redis_prefix, settings.worker_id, process)
        except UNAVAILABLE:
            continue  # Redis away: the lease outlives a few missed renewals
        except ConfigError:
            # Another process took the id while Redis was away for longer than
            # the lease: two minting processes could repeat ids, so this one stops.
            log.critical("worker id %d was taken by another process; stopping", settings.worker_id)
            raise


@asynccontextmanager
async def open_shared_state(
    settings: Settings, clock: Clock, secret: bytes
) -> AsyncIterator[SharedState]:
    """In-process adapters, or Redis ones after checking this process agrees with the others."""
    if not settings.redis_url:
        yield SharedState(
            InProcessEventBus(),
            InMemoryRateLimiter(clock),
            InMemoryPresence(clock),
            LocalInvalidations(),
        )
        return
    prefix = settings.redis_prefix
    async with open_redis(settings.redis_url) as link:
        presence = RedisPresence(link, prefix, ttl_s=settings.presence_ttl_s)
        await check_jwt_secret(link, prefix, secret)
        await claim_worker_id(link, prefix, settings.worker_id, presence.process)
        await presence.keep_alive()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_renew_worker_lease, link, settings, presence.process)
                yield SharedState(
                    RedisEventBus(link, prefix, retention_s=_bus_retention_s(settings)),
                    RedisRateLimiter(link, prefix),
                    presence,
                    RedisInvalidations(link, prefix),
                    RedisSessionHandoffs(link, prefix),
                )
                nursery.cancel_scope.cancel()
        finally:
            with trio.move_on_after(2.0) as cleanup:
                cleanup.shield = True
                await release_worker_id(link, prefix, settings.worker_id, presence.process)


@asynccontextmanager
async def open_services(settings: Settings, database_url: str) -> AsyncIterator[Services]:
    """Connect every adapter for one process; everything is closed on exit."""
    clock = SystemClock()
    ids = SnowflakeGenerator(settings.worker_id, clock)
    secret = jwt_secret(settings)
    async with (
        open_shared_state(settings, clock, secret) as shared,
        open_postgres_storage(database_url, pool_size=settings.pool_size) as storage,
    ):
        observe_state(
            storage,
            "accord_db_pool_connections",
            "PostgreSQL connections of this process's pool",
            "state",
            _pool_use,
        )
        auth = AuthService(
            storage,
            Argon2PasswordHasher(),
            JwtAccessTokens(secret),
            ids,
            clock,
            shared.invalidations,
            # This process's followers (its gateway) hear each announcement
            # here, once the auth caches have acted on it.
            applied=LocalInvalidations(),
        )
        bus = shared.bus
        # Caches here must follow what other processes change (logouts, token resets).
        async with trio.open_nursery() as listener:
            listener.start_soon(auth.follow_other_processes)
            yield Services(
                settings=settings,
                storage=storage,
                clock=clock,
                ids=ids,
                bus=bus,
                presence=shared.presence,
                handoffs=shared.handoffs,
                rate_limiter=shared.rate_limiter,
                auth=auth,
                guilds=GuildService(storage, bus, ids, clock),
                channels=ChannelService(storage, bus, ids),
                channel_positions=ChannelPositionService(storage, bus),
                messages=MessageService(storage, bus, ids, clock),
                search=SearchService(storage),
                typing=TypingService(storage, bus, shared.rate_limiter, clock),
                members=MemberService(storage, bus, ids, clock),
                roles=RoleService(storage, bus, ids, clock),
                bans=BanService(storage, bus, ids, clock),
                invites=InviteService(storage, bus, ids, clock),
                reactions=ReactionService(storage, bus, ids, clock),
                users=UserService(storage, bus, ids, clock, auth),
                applications=ApplicationService(storage, bus, ids, clock),
            )
            listener.cancel_scope.cancel()
