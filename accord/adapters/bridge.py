"""The one place where Trio code crosses into asyncio (where asyncpg and redis-py live).

Both adapters that need asyncio use it, so neither imports the other. A
PostgreSQL repository operation makes exactly one crossing: it hands a whole
asyncio coroutine function (all of its queries, in one transaction) to
``run``; a Redis command is one crossing too.

Two bridges keep the same contract (chosen in docs/decisions/0001):

- ``TrioAsyncioBridge``: asyncio hosted on the Trio thread by trio-asyncio;
- ``ThreadLoopBridge``: a plain asyncio loop in a thread of its own.

Neither parks a worker thread per call: the asyncio task's completion wakes
the waiting Trio task. If the Trio caller is cancelled, the asyncio task
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
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
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


class _Call:
    """One crossing of the thread bridge.

    Only the loop thread writes ``task``, ``started``, ``cancelled`` and
    ``result``; the Trio thread reads ``result`` once the call is handed back.
    """

    __slots__ = ("cancelled", "done", "result", "start", "started", "task")

    def __init__(self, start: Callable[[], Awaitable[Any]]) -> None:
        self.start = start
        self.done = trio.Event()
        self.task: asyncio.Task[None] | None = None  # also keeps the task referenced
        self.started = False
        self.cancelled = False
        # Carried as an Outcome, so the caller gets the very exception raised.
        self.result: outcome.Outcome[Any] | None = None

    def cancel(self) -> None:
        self.cancelled = True
        # A task cancelled before its first step would never run _host, and
        # so never hand the call back; _host sees ``cancelled`` instead.
        if self.started and self.task is not None:
            self.task.cancel()


class ThreadLoopBridge:
    """A plain asyncio loop in its own thread; see ``open_thread_loop_bridge``.

    Calls cross in batches each way: a call queued while the loop has not yet
    woken for an earlier one rides on that wake-up, and results finished
    before Trio has taken the earlier ones go back with them. Under load that
    is one wake-up of each thread for many calls, not two per call.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, cancel_grace: float = CANCEL_GRACE
    ) -> None:
        self._loop = loop
        self._token = trio.lowlevel.current_trio_token()
        self._cancel_grace = cancel_grace
        # deque appends and pops are atomic, so each queue needs no lock; a
        # flag says a wake-up is already on its way to the thread that drains it.
        self._submitted: deque[_Call] = deque()
        self._loop_woken = False
        self._finished: deque[_Call] = deque()
        self._trio_woken = False

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        call = _Call(lambda: fn(*args, **kwargs))
        self._submitted.append(call)
        if not self._loop_woken:
            self._loop_woken = True
            self._loop.call_soon_threadsafe(self._start_submitted)
        await _wait_done(
            call.done, lambda: self._loop.call_soon_threadsafe(call.cancel), self._cancel_grace
        )
        assert call.result is not None  # set before the call was handed back
        result: T = call.result.unwrap()
        return result

    def _start_submitted(self) -> None:
        # Cleared before draining: a call queued after this point schedules
        # its own wake-up, and one queued before it is drained here.
        self._loop_woken = False
        while self._submitted:
            call = self._submitted.popleft()
            call.task = self._loop.create_task(self._host(call))

    async def _host(self, call: _Call) -> None:
        call.started = True
        if call.cancelled:  # cancelled before its first step: never start the work
            call.result = outcome.Error(asyncio.CancelledError())
        else:
            call.result = await outcome.acapture(call.start)
        self._finished.append(call)
        if not self._trio_woken:
            self._trio_woken = True
            self._token.run_sync_soon(self._deliver_finished)

    def _deliver_finished(self) -> None:
        self._trio_woken = False
        while self._finished:
            self._finished.popleft().done.set()


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
