"""Per-connection limit on client payloads (Discord: 120 per 60 seconds, else close 4008)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from accord.gateway.protocol import CloseCode

# Discord's documented gateway send limit; clients (discord.py) pace their
# own sends to it, so a stricter one would close well-behaved bots.
PAYLOADS_PER_WINDOW: Final = 120
WINDOW_SECONDS: Final = 60.0


class PayloadLimiter:
    """A sliding-window limit: at most `limit` payloads in any `window`-second span.

    It keeps the times of the last `limit` accepted payloads (bounded at
    `limit` entries; the oldest drops out as each new one is recorded). A
    sliding window, unlike a fixed one, does not let a client send twice the
    limit across a window boundary.
    """

    __slots__ = ("_clock", "_limit", "_times", "_window")

    def __init__(
        self,
        clock: Callable[[], float],
        limit: int = PAYLOADS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._clock = clock
        self._limit = limit
        self._window = window
        self._times: deque[float] = deque(maxlen=limit)

    def check(self) -> CloseCode | None:
        """Record one payload; None if allowed, else the close code to send (4008)."""
        now = self._clock()
        if len(self._times) == self._limit and now - self._times[0] < self._window:
            return CloseCode.RATE_LIMITED
        self._times.append(now)
        return None
