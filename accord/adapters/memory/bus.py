"""The in-process event bus of the single-process default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from accord.core.events import Event

# Events a subscriber may fall behind by before publishers wait for it. When
# full, publish blocks (backpressure) rather than drop: a dropped event is a
# dispatch some client never gets.
SUBSCRIBER_BUFFER = 4096


class InProcessEventBus:
    """Delivers every event to every current subscriber, in one global order."""

    def __init__(self, buffer: int = SUBSCRIBER_BUFFER) -> None:
        self._buffer = buffer
        self._subscribers: set[trio.MemorySendChannel[Event]] = set()
        # One publish at a time, so all subscribers see events in the same order.
        self._lock = trio.Lock()

    async def publish(self, event: Event) -> None:
        async with self._lock:
            for channel in list(self._subscribers):
                try:
                    await channel.send(event)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._subscribers.discard(channel)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Event]]:
        send, receive = trio.open_memory_channel[Event](self._buffer)
        self._subscribers.add(send)
        try:
            async with receive:
                yield receive
        finally:
            self._subscribers.discard(send)
            send.close()
