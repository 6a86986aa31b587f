"""Cache invalidations in one process: the process already forgot locally, nobody else to tell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from accord.core.ports.invalidations import Kind


class LocalInvalidations:
    async def announce(self, kind: Kind, key: int) -> None:
        await trio.lowlevel.checkpoint()

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[AsyncIterator[tuple[Kind, int]]]:
        yield _Silence()


class _Silence:
    """An announcement stream on which nothing ever arrives."""

    def __aiter__(self) -> _Silence:
        return self

    async def __anext__(self) -> tuple[Kind, int]:
        await trio.sleep_forever()
