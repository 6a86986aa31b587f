"""What every PostgreSQL repository shares: the pool and the bridge to reach it."""

from __future__ import annotations

import asyncpg

from accord.adapters.bridge import Bridge


class PgRepository:
    """Base of the repositories.

    Public methods are Trio-side and make one ``self._bridge.run`` crossing;
    the coroutine they hand over runs on asyncio and does all the queries of
    that operation on one pooled connection, inside one transaction when it
    writes more than one statement.
    """

    def __init__(self, pool: asyncpg.Pool, bridge: Bridge) -> None:
        self._pool = pool
        self._bridge = bridge
