"""The event-bus port: services publish, gateways subscribe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from accord.core.events import Event


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Hand an event to every subscriber, in publish order per guild."""
        ...

    def subscribe(self) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """A stream of every event published from now on, while the context is open."""
        ...
