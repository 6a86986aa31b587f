"""The one place where Trio code crosses into asyncio (where asyncpg lives).

A repository method makes exactly one crossing: it hands a whole asyncio
coroutine function (all of its queries, in one transaction) to ``run``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, Protocol, TypeVar

import trio_asyncio

P = ParamSpec("P")
T = TypeVar("T")


class Bridge(Protocol):
    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the asyncio coroutine ``fn(*args, **kwargs)`` and return its result to Trio."""
        ...


class TrioAsyncioBridge:
    """asyncio hosted on the Trio thread by trio-asyncio."""

    def __init__(self, loop: Any) -> None:
        self._loop = loop

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        result: T = await self._loop.run_aio_coroutine(fn(*args, **kwargs))
        return result


@asynccontextmanager
async def open_trio_asyncio_bridge() -> AsyncIterator[Bridge]:
    async with trio_asyncio.open_loop() as loop:
        yield TrioAsyncioBridge(loop)


@asynccontextmanager
async def open_bridge() -> AsyncIterator[Bridge]:
    """The default bridge (see docs/decisions for how it was chosen)."""
    async with open_trio_asyncio_bridge() as bridge:
        yield bridge
