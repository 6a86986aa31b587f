"""Cache invalidations across processes on one Redis stream.

Every process reads the stream from where it joined and applies each entry;
after a dropped connection it goes on from the last entry it read. Each entry
names the adapter instance (one per process) that added it, so a listener of
other processes' announcements skips its own process's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final, cast

import trio

from accord.adapters.redis.client import UNAVAILABLE, RedisLink, text
from accord.core.ports.invalidations import KINDS, Kind

log = logging.getLogger("accord.invalidations")

# Announcements are rare (logouts, token resets, profile edits); a reader
# away for longer than this many of them has stale caches anyway, and the
# caches expire on their own within seconds.
STREAM_LENGTH: Final = 10_000
READ_BLOCK_MS: Final = 1_000
RETRY_FIRST_S: Final = 0.05
RETRY_MAX_S: Final = 2.0
# How long an announcement is retried while Redis is away. Caches expire on
# their own, but a gateway connection lives until told its credential ended,
# so an announcement rides out a Redis restart as the event bus's do; one
# still unsent after this is logged as an error and lost.
ANNOUNCE_DEADLINE_S: Final = 30.0


class RedisInvalidations:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self._link = link
        self._stream = f"{prefix}:invalidations"
        self._origin = secrets.token_hex(8)

    async def announce(self, kind: Kind, key: int) -> None:
        delay = RETRY_FIRST_S
        with trio.move_on_after(ANNOUNCE_DEADLINE_S):
            while True:
                try:
                    await self._link.run(
                        self._link.client.xadd,
                        self._stream,
                        {"k": kind, "v": str(key), "o": self._origin},
                        maxlen=STREAM_LENGTH,
                        approximate=True,
                    )
                    return
                except UNAVAILABLE as exc:
                    log.warning("could not announce %s %s (%s); retrying", kind, key, exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        log.error(
            "Redis unreachable for %.0f s: announcement %s %s lost", ANNOUNCE_DEADLINE_S, kind, key
        )

    @asynccontextmanager
    async def listen(
        self, *, others_only: bool = False
    ) -> AsyncIterator[AsyncIterator[tuple[Kind, int]]]:
        reader = self._read(skipped=self._origin if others_only else None)
        try:
            yield reader
        finally:
            await reader.aclose()

    async def _read(self, skipped: str | None) -> AsyncGenerator[tuple[Kind, int], None]:
        """Entries from the stream's tail on, but those added by the origin `skipped`."""
        position = await self._tail()
        delay = RETRY_FIRST_S
        while True:
            try:
                batches: Any = await self._link.run(
                    self._link.client.xread, {self._stream: position}, block=READ_BLOCK_MS
                )
            except UNAVAILABLE as exc:
                log.warning("reading invalidations failed (%s); retrying", exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            delay = RETRY_FIRST_S
            for _, entries in batches or ():
                for entry_id, fields in entries:
                    position = text(entry_id)
                    if skipped is not None and text(fields.get(b"o", b"")) == skipped:
                        continue
                    kind, key = text(fields.get(b"k", b"")), text(fields.get(b"v", b""))
                    if kind in KINDS and key.isdigit():
                        yield cast(Kind, kind), int(key)

    async def _tail(self) -> str:
        delay = 0.05
        while True:
            try:
                newest: Any = await self._link.run(
                    self._link.client.xrevrange, self._stream, count=1
                )
                return text(newest[0][0]) if newest else "0-0"
            except UNAVAILABLE as exc:
                log.warning("Redis unreachable (%s); retrying", exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
