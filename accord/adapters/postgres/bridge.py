"""The one place where Trio code crosses into asyncio (where asyncpg lives).

A repository method makes exactly one crossing: it hands a whole asyncio
coroutine function (all of its queries, in one transaction) to ``run``.

Two bridges keep the same contract (chosen in docs/decisions/0001):

- ``TrioAsyncioBridge``: asyncio hosted on the Trio thread by trio-asyncio;
- ``ThreadLoopBridge``: a plain asyncio loop in a thread of its own.

Neither parks a worker thread per call: the asyncio future's done-callback
wakes the waiting Trio task. If the Trio caller is cancelled, the asyncio task
is cancelled and the caller waits, shielded and for at most ``CANCEL_GRACE``,
until the task has finished, so its pooled connection is back in the pool
(asyncpg cancels the query and resets the connection) before the caller moves
on. Exceptions from the coroutine reach the caller as they were raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ParamSpec, Protocol, TypeVar

import outcome
import trio

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

# asyncpg stops a running query with a CancelRequest and then resets the
# connection: milliseconds on a healthy server. Past this the database is
# wedged, and a cancelled caller must not hang with it.
CANCEL_GRACE = 5.0
# On shutdown of the thread bridge, tasks that outlived their caller get this
# long to unwind before the loop closes; the join waits one second more.
SHUTDOWN_GRACE = 5.0

ENV_VAR = "ACCORD_DB_BRIDGE"
# Chosen by measurement (docs/decisions/0001, revised): under the concurrency
# a server runs at, the thread bridge does ~2x the queries of trio-asyncio
# for about half the CPU each, and it leaves asyncio itself unpatched.
DEFAULT_KIND = "thread"


class Bridge(Protocol):
    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the asyncio coroutine ``fn(*args, **kwargs)`` and return its result to Trio."""
        ...


async def _wait_done(done: trio.Event, cancel: Callable[[], object], grace: float) -> None:
    try:
        await done.wait()
    finally:
        if not done.is_set():
            cancel()
            with trio.move_on_after(grace, shield=True):
                await done.wait()
            if not done.is_set():
                log.warning(
                    "asyncio task still running %.1f s after its caller was cancelled", grace
                )


async def _await(start: Callable[[], Awaitable[T]]) -> T:
    return await start()


class TrioAsyncioBridge:
    """asyncio hosted on the Trio thread by trio-asyncio."""

    def __init__(self, loop: Any, *, cancel_grace: float = CANCEL_GRACE) -> None:
        self._loop = loop
        self._cancel_grace = cancel_grace

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        # Not loop.run_aio_coroutine: once cancelled, it waits for the task without a bound.
        coro = _await(lambda: fn(*args, **kwargs))
        try:
            task: asyncio.Task[T] = self._loop.create_task(coro)
        except BaseException:
            coro.close()
            raise
        done = trio.Event()
        # The loop runs its callbacks inside Trio, on this thread: no token needed.
        task.add_done_callback(lambda _: done.set())
        await _wait_done(done, task.cancel, self._cancel_grace)
        return task.result()


@asynccontextmanager
async def open_trio_asyncio_bridge(*, cancel_grace: float = CANCEL_GRACE) -> AsyncIterator[Bridge]:
    # Imported only when chosen: importing it installs trio-asyncio's loop
    # policy for the whole process.
    import trio_asyncio

    async with trio_asyncio.open_loop() as loop:
        yield TrioAsyncioBridge(loop, cancel_grace=cancel_grace)


class _LoopSide:
    """One call's state on the loop thread; only that thread touches it."""

    __slots__ = ("cancelled", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()


async def _host(side: _LoopSide, start: Callable[[], Awaitable[T]]) -> outcome.Outcome[T]:
    side.task = asyncio.current_task()
    if side.cancelled:  # cancelled before its first step: never start the work
        raise asyncio.CancelledError
    # Carried as an Outcome because concurrent.futures would swap a
    # TimeoutError for a fresh copy without its traceback and cause.
    return await outcome.acapture(start)


class ThreadLoopBridge:
    """A plain asyncio loop in its own thread; see ``open_thread_loop_bridge``."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, cancel_grace: float = CANCEL_GRACE
    ) -> None:
        self._loop = loop
        self._token = trio.lowlevel.current_trio_token()
        self._cancel_grace = cancel_grace

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        side = _LoopSide()
        coro: Coroutine[Any, Any, outcome.Outcome[T]] = _host(side, lambda: fn(*args, **kwargs))
        try:
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        except BaseException:
            coro.close()
            raise
        done = trio.Event()
        token = self._token
        future.add_done_callback(lambda _: token.run_sync_soon(done.set))
        await _wait_done(
            done, lambda: self._loop.call_soon_threadsafe(side.cancel), self._cancel_grace
        )
        return future.result().unwrap()


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_forever()
        # Only tasks that outlived their caller (past CANCEL_GRACE) can be left.
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=SHUTDOWN_GRACE))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


@asynccontextmanager
async def open_thread_loop_bridge(*, cancel_grace: float = CANCEL_GRACE) -> AsyncIterator[Bridge]:
    """Run an asyncio loop in its own thread; on exit stop it and join the thread (bounded)."""
    # Not asyncio.new_event_loop(): once trio_asyncio is imported it returns a
    # loop that refuses to run inside Trio.
    loop = asyncio.SelectorEventLoop()
    # Daemon, so a loop wedged past the join timeout cannot hold the process at exit.
    thread = threading.Thread(target=_serve, args=(loop,), name="accord-asyncio", daemon=True)
    thread.start()
    try:
        yield ThreadLoopBridge(loop, cancel_grace=cancel_grace)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        # Shielded so a cancelled caller still joins; the join's timeout is the bound.
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(thread.join, SHUTDOWN_GRACE + 1.0)
        if thread.is_alive():
            log.warning("asyncio bridge thread did not stop within %.1f s", SHUTDOWN_GRACE + 1.0)


_OPENERS: dict[str, Callable[[], AbstractAsyncContextManager[Bridge]]] = {
    "trio-asyncio": open_trio_asyncio_bridge,
    "thread": open_thread_loop_bridge,
}


def bridge_kind(kind: str | None = None) -> str:
    """The bridge to use: ``kind``, else ``$ACCORD_DB_BRIDGE``, else the measured default."""
    chosen = kind if kind is not None else (os.environ.get(ENV_VAR) or DEFAULT_KIND)
    if chosen not in _OPENERS:
        source = "argument kind" if kind is not None else ENV_VAR
        raise ValueError(
            f"unknown database bridge {chosen!r} (from {source}); "
            f"expected one of: {', '.join(sorted(_OPENERS))}"
        )
    return chosen


@asynccontextmanager
async def open_bridge(kind: str | None = None) -> AsyncIterator[Bridge]:
    """The bridge named by ``kind`` or ``$ACCORD_DB_BRIDGE``, else the default.

    The default was chosen by measurement: docs/decisions/0001-trio-asyncpg-bridge.md.
    """
    async with _OPENERS[bridge_kind(kind)]() as bridge:
        yield bridge
