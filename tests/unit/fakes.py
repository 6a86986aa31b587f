"""Fakes of core ports for unit tests: deterministic, no I/O, no sleeping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from accord.core.ports.invalidations import Kind


class FakeClock:
    """A clock that moves only when told to, or by ``step_ms`` on each ``pause()``.

    ``pause()`` is where a real clock would yield while waiting for the next
    millisecond; here it advances time so a waiting caller makes progress.
    """

    def __init__(self, now_ms: int, *, step_ms: int = 1) -> None:
        self._now_ms = now_ms
        self._monotonic = 0.0
        self.step_ms = step_ms
        self.pauses = 0

    def now_ms(self) -> int:
        return self._now_ms

    def monotonic(self) -> float:
        return self._monotonic

    def pause(self) -> None:
        self.pauses += 1
        self.advance(self.step_ms)

    def advance(self, ms: int) -> None:
        """Move wall time by ``ms`` (negative steps it back); monotonic only moves forward."""
        self._now_ms += ms
        self._monotonic += max(ms, 0) / 1000

    def set(self, now_ms: int) -> None:
        self._now_ms = now_ms


class FakePasswordHasher:
    """ "Hashes" by prefixing, so tests can read what was stored; counts verifications."""

    def __init__(self) -> None:
        self.verified: list[str] = []  # the hashes checked, in order

    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == f"hashed:{password}"


class RecordingInvalidations:
    """Cache invalidations that keep what was announced, in order; nobody listens."""

    def __init__(self) -> None:
        self.announced: list[tuple[Kind, int]] = []

    async def announce(self, kind: Kind, key: int) -> None:
        self.announced.append((kind, key))

    def listen(
        self, *, others_only: bool = False
    ) -> AbstractAsyncContextManager[AsyncIterator[tuple[Kind, int]]]:
        raise NotImplementedError("the tests read `announced`")
