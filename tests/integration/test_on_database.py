"""``on_database``: a repository operation written once runs whole on the database side."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
import trio

from accord.adapters.bridge import Bridge, open_bridge
from accord.adapters.postgres.base import PgRepository, on_database

KINDS = ["trio-asyncio", "thread"]


class CountingBridge:
    """The real bridge, counting the crossings made through it."""

    def __init__(self, inner: Bridge) -> None:
        self.inner = inner
        self.crossings = 0

    async def run(self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
        self.crossings += 1
        return await self.inner.run(fn, *args, **kwargs)


class Boom(Exception):
    pass


class Probe(PgRepository):
    def __init__(self, pool: asyncpg.Pool, bridge: Bridge) -> None:
        super().__init__(pool, bridge)
        self.cancelled: list[str] = []

    @on_database
    async def double_twice(self, value: int, *, then: int = 0, note: str = "") -> tuple[int, str]:
        """Two queries, each on the asyncio loop; what they give, and ``note``."""
        assert asyncio.current_task() is not None  # on the asyncio loop, not on Trio
        async with self._pool.acquire() as connection:
            once = await connection.fetchval("SELECT $1::int * 2", value)
            twice = await connection.fetchval("SELECT $1::int * 2 + $2::int", once, then)
        return twice, note

    @on_database
    async def fail(self, error: Exception) -> None:
        raise error

    @on_database
    async def sleep_in_database(self) -> None:
        try:
            async with self._pool.acquire() as connection:
                await connection.execute("SELECT pg_sleep(10)")
        except asyncio.CancelledError:
            self.cancelled.append("cancelled")
            raise


async def _pool(dsn: str) -> asyncpg.Pool:
    # One connection: a later call answers only if the earlier one gave it back.
    return await asyncpg.create_pool(dsn, min_size=1, max_size=1)


@pytest.fixture(params=KINDS)
async def probe(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Probe]:
    async with open_bridge(request.param) as real:
        bridge = CountingBridge(real)
        pool = await real.run(_pool, database_url)
        try:
            yield Probe(pool, bridge)
        finally:
            await real.run(pool.close)


def _crossings(probe: Probe) -> int:
    assert isinstance(probe._bridge, CountingBridge)
    return probe._bridge.crossings


async def test_an_operation_is_one_crossing_with_all_its_queries(probe: Probe):
    with trio.fail_after(10):
        assert await probe.double_twice(3, then=1, note="n") == (13, "n")
        assert await probe.double_twice(5) == (20, "")
    assert _crossings(probe) == 2


async def test_the_method_has_the_operations_signature_and_docstring(probe: Probe):
    parameters = list(inspect.signature(Probe.double_twice).parameters)
    assert parameters == ["self", "value", "then", "note"]
    assert inspect.signature(probe.double_twice).parameters["then"].kind is (
        inspect.Parameter.KEYWORD_ONLY
    )
    assert (Probe.double_twice.__doc__ or "").startswith("Two queries")


async def test_the_caller_gets_the_very_exception_raised(probe: Probe):
    raised = Boom("from the database side")
    with trio.fail_after(5), pytest.raises(Boom) as info:
        await probe.fail(raised)
    assert info.value is raised
    assert _crossings(probe) == 1


async def test_a_cancelled_caller_cancels_the_operation_and_its_connection_returns(probe: Probe):
    with trio.fail_after(10):
        with trio.move_on_after(0.3) as scope:
            await probe.sleep_in_database()
        assert scope.cancelled_caught
        # The operation had unwound before the call returned.
        assert probe.cancelled == ["cancelled"]
        with trio.fail_after(3):
            assert await probe.double_twice(1) == (4, "")
