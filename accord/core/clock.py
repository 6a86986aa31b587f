"""The clock port: wall time for ids and timestamps, monotonic time for limits.

Injected everywhere time matters so tests can step it instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Unix time in milliseconds (wall clock; may step back)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never steps back."""
        ...

    def pause(self) -> None:
        """Yield the CPU briefly while waiting for ``now_ms`` to advance."""
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        return time.monotonic()

    def pause(self) -> None:
        # Only reached after 4096 ids in one millisecond; sleeping 50 µs keeps
        # that wait short without spinning the core flat out.
        time.sleep(0.00005)


def utc_from_ms(unix_ms: int) -> datetime:
    return datetime.fromtimestamp(unix_ms / 1000, tz=UTC)
