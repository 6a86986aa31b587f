"""Handed-off gateway sessions on Redis, each under its own key with a TTL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from accord.adapters.redis.client import RedisLink
from accord.core.ports.handoff import Handoff

# Sessions written per pipeline: one round trip each. The hand-over bounds the
# bytes it passes at once (a session's state runs from a few KiB to about 2 MB).
WRITE_BATCH: Final = 500


class RedisSessionHandoffs:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self._link = link
        self._prefix = prefix

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:handoff:{session_id}"

    async def put(self, session_id: str, state: bytes, ttl_s: float) -> None:
        await self._link.call("SET", self._key(session_id), state, "PX", max(1, int(ttl_s * 1000)))

    async def put_many(self, handoffs: Sequence[Handoff]) -> None:
        for start in range(0, len(handoffs), WRITE_BATCH):
            await self._link.run(self._write, handoffs[start : start + WRITE_BATCH])

    async def _write(self, handoffs: Sequence[Handoff]) -> None:
        async with self._link.client.pipeline(transaction=False) as pipe:
            for session_id, state, ttl_s in handoffs:
                pipe.set(self._key(session_id), state, px=max(1, int(ttl_s * 1000)))
            await pipe.execute()

    async def take(self, session_id: str) -> bytes | None:
        # GETDEL: of two gateways asked to resume the same session, one gets it.
        value = await self._link.call("GETDEL", self._key(session_id))
        return None if value is None else bytes(value)
