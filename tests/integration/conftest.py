"""Integration fixtures: a PostgresStorage on a fresh migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from accord.adapters.postgres.storage import PostgresStorage, open_postgres_storage


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[PostgresStorage]:
    async with open_postgres_storage(database_url, pool_size=4) as storage:
        yield storage
