"""Both Trio -> asyncio bridges keep the contract the repositories rely on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import asyncpg
import pytest
import trio

from accord.adapters.bridge import (
    Bridge,
    bridge_kind,
    open_bridge,
    open_thread_loop_bridge,
    open_trio_asyncio_bridge,
)

KINDS = ["trio-asyncio", "thread"]
OPENERS = {"trio-asyncio": open_trio_asyncio_bridge, "thread": open_thread_loop_bridge}


@pytest.fixture(params=KINDS)
async def bridge(request: pytest.FixtureRequest) -> AsyncIterator[Bridge]:
    async with open_bridge(request.param) as bridge:
        yield bridge


class Boom(Exception):
    pass


async def _add(a: int, b: int, *, scale: int = 1) -> int:
    await asyncio.sleep(0)
    return (a + b) * scale


async def _raise() -> None:
    await asyncio.sleep(0)
    raise Boom("from asyncio")


async def _set(event: asyncio.Event) -> None:
    event.set()


async def _wait_for(task: asyncio.Task[None]) -> None:
    await asyncio.wait({task})


async def _pool(dsn: str, size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size)


async def _fetchval(pool: asyncpg.Pool, query: str, *args: object) -> object:
    async with pool.acquire() as connection:
        return await connection.fetchval(query, *args)


async def test_results_come_back_with_args_and_kwargs(bridge: Bridge):
    with trio.fail_after(5):
        assert await bridge.run(_add, 2, 3) == 5
        assert await bridge.run(_add, 2, 3, scale=10) == 50


async def test_exceptions_propagate_with_their_type(bridge: Bridge):
    with trio.fail_after(5), pytest.raises(Boom, match="from asyncio"):
        await bridge.run(_raise)


async def test_timeout_error_is_the_very_exception_raised(bridge: Bridge):
    # concurrent.futures would replace a TimeoutError with a bare copy.
    raised = TimeoutError("acquire")
    raised.__cause__ = Boom("cause")

    async def _timeout() -> None:
        raise raised

    with trio.fail_after(5), pytest.raises(TimeoutError) as info:
        await bridge.run(_timeout)
    assert info.value is raised
    assert isinstance(info.value.__cause__, Boom)


async def test_database_errors_propagate_with_their_type(bridge: Bridge, database_url: str):
    with trio.fail_after(10):
        pool = await bridge.run(_pool, database_url, 1)
        try:
            with pytest.raises(asyncpg.DivisionByZeroError):
                await bridge.run(_fetchval, pool, "SELECT 1/0")
            assert await bridge.run(_fetchval, pool, "SELECT 1") == 1
        finally:
            await bridge.run(pool.close)


async def test_cancelling_the_caller_cancels_the_query_and_releases_the_connection(
    bridge: Bridge, database_url: str
):
    ended: list[str] = []

    async def _sleep_in_database(pool: asyncpg.Pool) -> None:
        try:
            await _fetchval(pool, "SELECT pg_sleep(10)")
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    with trio.fail_after(10):
        pool = await bridge.run(_pool, database_url, 1)
        try:
            started = trio.current_time()
            with trio.move_on_after(0.3) as scope:
                await bridge.run(_sleep_in_database, pool)
            assert scope.cancelled_caught
            # run() returned only after the asyncio side had unwound.
            assert ended == ["cancelled"]
            # One connection in the pool: this only answers if it was released.
            with trio.fail_after(3):
                assert await bridge.run(_fetchval, pool, "SELECT 1") == 1
            assert trio.current_time() - started < 5
        finally:
            await bridge.run(pool.close)


async def test_a_call_cancelled_at_once_is_finished_before_run_returns(bridge: Bridge):
    log: list[str] = []

    async def _work() -> None:
        log.append("started")
        try:
            await asyncio.sleep(3600)
        finally:
            log.append("finished")

    with trio.fail_after(5):
        with trio.CancelScope() as scope:
            scope.cancel()
            await bridge.run(_work)
        assert log in ([], ["started", "finished"])
        # The bridge still serves after the cancellation.
        assert await bridge.run(_add, 1, 1) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_a_task_ignoring_cancellation_holds_the_caller_only_for_the_grace(kind: str):
    log: list[str] = []
    release = asyncio.Event()
    stubborn: list[asyncio.Task[None]] = []

    async def _ignore_cancel() -> None:
        task = asyncio.current_task()
        assert task is not None
        stubborn.append(task)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            log.append("cancel seen")
            await release.wait()
            log.append("released")
            raise

    async with OPENERS[kind](cancel_grace=0.2) as bridge:
        with trio.fail_after(5):
            with trio.move_on_after(0.1):
                await bridge.run(_ignore_cancel)
            assert log == ["cancel seen"]
            await bridge.run(_set, release)
            await bridge.run(_wait_for, stubborn[0])
            assert log == ["cancel seen", "released"]


async def test_many_concurrent_calls(bridge: Bridge):
    results: dict[int, int] = {}

    async def one(i: int) -> None:
        results[i] = await bridge.run(_add, i, 1)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for i in range(500):
                nursery.start_soon(one, i)
    assert results == {i: i + 1 for i in range(500)}


async def test_many_concurrent_queries_share_a_small_pool(bridge: Bridge, database_url: str):
    results: dict[int, object] = {}

    with trio.fail_after(20):
        pool = await bridge.run(_pool, database_url, 4)
        try:

            async def one(i: int) -> None:
                results[i] = await bridge.run(_fetchval, pool, "SELECT $1::int * 2", i)

            async with trio.open_nursery() as nursery:
                for i in range(100):
                    nursery.start_soon(one, i)
        finally:
            await bridge.run(pool.close)
    assert results == {i: i * 2 for i in range(100)}


@pytest.mark.parametrize("cancelled", [False, True])
async def test_the_thread_bridge_joins_its_thread_on_exit(cancelled: bool):
    before = set(threading.enumerate())
    with trio.fail_after(10), trio.CancelScope() as scope:
        async with open_thread_loop_bridge() as bridge:
            assert await bridge.run(_add, 1, 2) == 3
            if cancelled:
                scope.cancel()
                await trio.sleep_forever()
    assert scope.cancelled_caught is cancelled
    # Trio's own idle worker threads may stay; the loop's thread must not.
    assert [t for t in set(threading.enumerate()) - before if t.name == "accord-asyncio"] == []


def test_the_kind_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("ACCORD_DB_BRIDGE", "thread")
    assert bridge_kind() == "thread"
    assert bridge_kind("trio-asyncio") == "trio-asyncio"
    monkeypatch.setenv("ACCORD_DB_BRIDGE", "")
    assert bridge_kind() in KINDS


async def test_an_unknown_kind_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ValueError, match="unknown database bridge 'uvloop'"):
        async with open_bridge("uvloop"):
            pass
    monkeypatch.setenv("ACCORD_DB_BRIDGE", "threads")
    with pytest.raises(ValueError, match="ACCORD_DB_BRIDGE"):
        async with open_bridge():
            pass
