"""The session-handoff port: a stopping gateway leaves its sessions for another to resume."""

from __future__ import annotations

from typing import Protocol


class SessionHandoffs(Protocol):
    async def put(self, session_id: str, state: bytes, ttl_s: float) -> None:
        """Keep a session's serialized state for up to `ttl_s` seconds."""
        ...

    async def take(self, session_id: str) -> bytes | None:
        """Remove and return a handed-off session (None if absent or expired): one taker wins."""
        ...
