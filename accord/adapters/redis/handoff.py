"""Handed-off gateway sessions on Redis, each under its own key with a TTL."""

from __future__ import annotations

from accord.adapters.redis.client import RedisLink


class RedisSessionHandoffs:
    def __init__(self, link: RedisLink, prefix: str = "accord") -> None:
        self._link = link
        self._prefix = prefix

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:handoff:{session_id}"

    async def put(self, session_id: str, state: bytes, ttl_s: float) -> None:
        await self._link.call("SET", self._key(session_id), state, "PX", max(1, int(ttl_s * 1000)))

    async def take(self, session_id: str) -> bytes | None:
        # GETDEL: of two gateways asked to resume the same session, one gets it.
        value = await self._link.call("GETDEL", self._key(session_id))
        return None if value is None else bytes(value)
