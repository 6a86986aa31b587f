"""Use cases for profiles and DMs (being written)."""

from __future__ import annotations

from accord.core.clock import Clock
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import Storage
from accord.core.snowflake import SnowflakeGenerator


class UserService:
    def __init__(
        self, storage: Storage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock
