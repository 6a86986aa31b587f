"""Cache invalidations in one process: every announcement reaches this process's listeners.

There is no other process, so a listener of other processes' announcements
(`others_only`) hears none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import trio

from accord.core.ports.invalidations import Kind

# Announcements a listener may have waiting. They are rare (logouts, token
# resets, profile edits) and listeners handle each without awaiting much; at
# the bound an announcement waits for room rather than being dropped, since
# a dropped one could leave a logged-out session connected.
LISTENER_BUFFER: Final = 1_000


class LocalInvalidations:
    def __init__(self) -> None:
        self._listeners: set[trio.MemorySendChannel[tuple[Kind, int]]] = set()

    async def announce(self, kind: Kind, key: int) -> None:
        await trio.lowlevel.checkpoint()
        for listener in list(self._listeners):
            try:
                await listener.send((kind, key))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self._listeners.discard(listener)  # its listen() block has ended

    @asynccontextmanager
    async def listen(
        self, *, others_only: bool = False
    ) -> AsyncIterator[AsyncIterator[tuple[Kind, int]]]:
        send, receive = trio.open_memory_channel[tuple[Kind, int]](LISTENER_BUFFER)
        if not others_only:
            self._listeners.add(send)
        try:
            async with receive:
                yield receive
        finally:
            self._listeners.discard(send)
