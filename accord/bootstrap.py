"""The one place that wires adapters into services.

Called from the CLI's entry points, never at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from accord.adapters.postgres.storage import open_postgres_storage
from accord.config import Settings
from accord.core.clock import Clock, SystemClock
from accord.core.ports.storage import Storage
from accord.core.snowflake import SnowflakeGenerator


@dataclass(frozen=True, slots=True)
class Services:
    """What the surfaces (REST, gateway) are given to work with."""

    settings: Settings
    storage: Storage
    clock: Clock
    ids: SnowflakeGenerator


@asynccontextmanager
async def open_services(settings: Settings, database_url: str) -> AsyncIterator[Services]:
    """Connect every adapter for one process; everything is closed on exit."""
    clock = SystemClock()
    async with open_postgres_storage(database_url, pool_size=settings.pool_size) as storage:
        yield Services(
            settings=settings,
            storage=storage,
            clock=clock,
            ids=SnowflakeGenerator(settings.worker_id, clock),
        )
