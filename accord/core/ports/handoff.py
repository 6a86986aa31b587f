"""The session-handoff port: a stopping gateway leaves its sessions for another to resume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol


class Handoff(NamedTuple):
    session_id: str
    state: bytes  # serialized
    ttl_s: float  # kept this long at most


class SessionHandoffs(Protocol):
    async def put(self, session_id: str, state: bytes, ttl_s: float) -> None:
        """Keep a session's serialized state for up to `ttl_s` seconds."""
        ...

    async def put_many(self, handoffs: Sequence[Handoff]) -> None:
        """``put`` for every session of a stopping gateway, in as few round trips as may be."""
        ...

    async def take(self, session_id: str) -> bytes | None:
        """Remove and return a handed-off session (None if absent or expired): one taker wins."""
        ...
