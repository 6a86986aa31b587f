"""The in-process event bus of the single-process default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from accord.core.events import Event
from accord.core.ports.bus import BusPosition

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
        try:
            # Uncontended, the usual case: no scheduler round trip for the lock.
            self._lock.acquire_nowait()
        except trio.WouldBlock:
            await self._lock.acquire()
        try:
            for channel in list(self._subscribers):
                try:
                    await _send(channel, event)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._subscribers.discard(channel)
        finally:
            self._lock.release()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[_ChannelSubscription]:
        send, receive = trio.open_memory_channel[Event](self._buffer)
        self._subscribers.add(send)
        try:
            async with receive:
                yield _ChannelSubscription(receive)
        finally:
            self._subscribers.discard(send)
            send.close()

    async def replay(self, since: BusPosition, until: BusPosition) -> list[Event]:
        return []  # one process keeps no history: nobody else could continue from it


async def _send(channel: trio.MemorySendChannel[Event], event: Event) -> None:
    """A subscriber with room takes the event at once; only a full one is waited for."""
    try:
        channel.send_nowait(event)
    except trio.WouldBlock:
        await channel.send(event)


class _ChannelSubscription:
    def __init__(self, receive: trio.MemoryReceiveChannel[Event]) -> None:
        self._receive = receive

    def __aiter__(self) -> _ChannelSubscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None

    def receive_nowait(self) -> Event:
        """The next event already published; trio.WouldBlock if there is none yet."""
        return self._receive.receive_nowait()

    @property
    def position(self) -> BusPosition | None:
        return None
