"""Connecting to Redis: redis-py's asyncio client, reached from Trio through the bridge.

redis-py's asyncio client lives on an asyncio loop, so it runs on its own
thread-hosted loop (the same bridge the PostgreSQL adapter uses), and every
Redis operation is one crossing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as aioredis
import trio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from accord.adapters.bridge import Bridge, open_thread_loop_bridge

P = ParamSpec("P")
T = TypeVar("T")

# What a dropped or restarting Redis raises; callers retry on these alone.
UNAVAILABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
# A command that has not answered by then has a dead connection under it.
SOCKET_TIMEOUT_S = 10.0
# Connections one process holds at most. Past it a command waits (up to
# SOCKET_TIMEOUT_S) for one to be free: redis-py's plain pool would instead
# fail it with "Too many connections", e.g. identifies arriving 100 at once.
MAX_CONNECTIONS = 100


def text(value: object) -> str:
    """A reply value as text: redis-py returns bytes unless told to decode."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string reply, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class RedisLink:
    """A client and the bridge that runs its commands."""

    bridge: Bridge
    client: aioredis.Redis

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.bridge.run(fn, *args, **kwargs)

    async def call(self, command: str, *args: Any) -> Any:
        """One Redis command, e.g. ``await link.call("PING")``."""
        return await self.bridge.run(self.client.execute_command, command, *args)


@asynccontextmanager
async def open_redis(url: str) -> AsyncIterator[RedisLink]:
    """A Redis client for ``url`` on its own asyncio thread; closed on exit."""
    async with open_thread_loop_bridge() as bridge:

        async def connect() -> aioredis.Redis:
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=MAX_CONNECTIONS,
                timeout=SOCKET_TIMEOUT_S,
                socket_timeout=SOCKET_TIMEOUT_S,
                socket_connect_timeout=SOCKET_TIMEOUT_S,
                health_check_interval=30,
            )
            return aioredis.Redis.from_pool(pool)

        client = await bridge.run(connect)
        try:
            yield RedisLink(bridge, client)
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(2.0):
                await bridge.run(client.aclose)
