"""The event-bus port: services publish, gateways subscribe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from accord.core.events import Event

# Where a subscriber has read up to, in the bus's own terms (opaque to callers).
BusPosition = Mapping[str, str]


class Subscription(Protocol):
    """The events published since subscribing, in order per guild."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def __anext__(self) -> Event: ...

    def receive_nowait(self) -> Event:
        """The next event already received; trio.WouldBlock if there is none yet
        (trio.EndOfChannel or trio.ClosedResourceError once the subscription is over)."""
        ...

    @property
    def position(self) -> BusPosition | None:
        """Through which event this subscription has handed events out; None if unreplayable."""
        ...


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Hand an event to every subscriber, in publish order per guild."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """A stream of every event published from now on, while the context is open."""
        ...

    async def replay(self, since: BusPosition, until: BusPosition) -> list[Event]:
        """The events after `since` up to and including `until` (in order per guild).

        Lets one process continue what another had read up to; a bus that
        keeps no history returns nothing.
        """
        ...
