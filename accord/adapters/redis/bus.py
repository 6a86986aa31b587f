"""The event bus on Redis Streams, for several API and gateway processes.

Events are appended to one of `SHARDS` streams chosen by guild id, so every
event of a guild keeps its order; events with no guild (DMs, USER_UPDATE) go
to one more stream of their own. Each stream is trimmed to about
`STREAM_LENGTH` entries, and entries older than the bus's retention (the
longest a gateway may need to replay them) are trimmed too, so an event's
content (a message since deleted, say) does not linger in Redis.

A subscriber starts at the newest entry of every stream and then always
reads from the last id it took. When Redis drops and comes back it simply
goes on reading from those ids, so what was published meanwhile is not lost
— as long as Redis kept it (the trim bound, and no restart that empties
memory before it was read). Publishing retries, bounded, while Redis is
away: the change is already committed, so its event must still go out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import trio

from accord.adapters.redis.client import UNAVAILABLE, RedisLink, text
from accord.adapters.redis.event_codec import decode_event, encode_event
from accord.core.events import Event
from accord.core.ports.bus import BusPosition

log = logging.getLogger("accord.bus")

# Streams guild events are spread over; a fixed number, since a guild must
# always map to the same stream for its events to stay in order.
SHARDS: Final = 16
# Entries kept per stream (approximately, as XADD's ~ trims): at 1,000
# events/s on one shard that is 100 s a gateway may be away and catch up.
STREAM_LENGTH: Final = 100_000
# Entries one read may return, and how long it blocks waiting for the first.
READ_COUNT: Final = 512
READ_BLOCK_MS: Final = 1_000
# Events a subscriber may fall behind by before reading Redis pauses
# (backpressure, as the in-process bus: never dropped).
SUBSCRIBER_BUFFER: Final = 4096
# Retry pacing while Redis is unreachable; publishing gives up (and logs the
# lost event) only after PUBLISH_DEADLINE_S.
RETRY_FIRST_S, RETRY_MAX_S = 0.05, 2.0
PUBLISH_DEADLINE_S: Final = 30.0
# A publisher trims a stream's old entries at most this often: an extra round
# trip once a second per stream instead of one per event.
TRIM_INTERVAL_S: Final = 1.0


_Entry = tuple[str, str, Event]  # stream, entry id, event


def entry_key(entry_id: str) -> tuple[int, int]:
    """A stream entry id ("ms-seq") as something that compares in stream order."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class StreamSubscription:
    """Events in the order read, and through which entry of each stream they were handed out."""

    def __init__(self, receive: trio.MemoryReceiveChannel[_Entry], start: BusPosition) -> None:
        self._receive = receive
        self._position = dict(start)

    def __aiter__(self) -> StreamSubscription:
        return self

    async def __anext__(self) -> Event:
        try:
            stream, entry_id, event = await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None
        self._position[stream] = entry_id
        return event

    def receive_nowait(self) -> Event:
        """The next event already read from Redis; trio.WouldBlock if there is none yet."""
        stream, entry_id, event = self._receive.receive_nowait()
        self._position[stream] = entry_id
        return event

    @property
    def position(self) -> BusPosition:
        return dict(self._position)


class RedisEventBus:
    def __init__(self, link: RedisLink, prefix: str, *, retention_s: float) -> None:
        self._link = link
        self._retention_ms = int(retention_s * 1000)
        self._trimmed: dict[str, float] = {}  # stream -> when this process last trimmed it
        self._guild_streams = [f"{prefix}:events:{n}" for n in range(SHARDS)]
        self._user_stream = f"{prefix}:events:users"
        self.streams = (*self._guild_streams, self._user_stream)

    def stream_of(self, event: Event) -> str:
        if event.guild_id is None:
            return self._user_stream
        return self._guild_streams[event.guild_id % SHARDS]

    async def publish(self, event: Event) -> None:
        stream, payload = self.stream_of(event), encode_event(event)
        delay = RETRY_FIRST_S
        with trio.move_on_after(PUBLISH_DEADLINE_S):
            while True:
                try:
                    await self._link.run(
                        self._link.client.xadd,
                        stream,
                        {"e": payload},
                        maxlen=STREAM_LENGTH,
                        approximate=True,
                    )
                    await self._trim_old(stream)
                    return
                except UNAVAILABLE as exc:
                    log.warning("publish to %s failed (%s); retrying", stream, exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        log.error("Redis unreachable for %.0f s: %s event lost", PUBLISH_DEADLINE_S, event.type)

    async def _trim_old(self, stream: str) -> None:
        now = trio.current_time()
        if now - self._trimmed.get(stream, -TRIM_INTERVAL_S) < TRIM_INTERVAL_S:
            return
        self._trimmed[stream] = now
        # Entry ids begin with Redis's clock in ms; this host's clock is close enough
        # for a retention minutes long.
        oldest = int(time.time() * 1000) - self._retention_ms
        try:
            # Exact, not "~": an approximate trim keeps whole nodes of ~100 entries,
            # which on a quiet stream would be every entry.
            await self._link.run(
                self._link.client.xtrim, stream, minid=f"{oldest}-0", approximate=False
            )
        except UNAVAILABLE as exc:  # the next publish trims instead
            log.warning("trimming %s failed (%s)", stream, exc)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[StreamSubscription]:
        positions = await self._tails()
        send, receive = trio.open_memory_channel[_Entry](SUBSCRIBER_BUFFER)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._read, dict(positions), send)
            try:
                async with receive:
                    yield StreamSubscription(receive, positions)
            finally:
                nursery.cancel_scope.cancel()

    async def replay(self, since: BusPosition, until: BusPosition) -> list[Event]:
        return await self._link.run(self._replay, dict(since), dict(until))

    async def _replay(self, since: dict[str, str], until: dict[str, str]) -> list[Event]:
        events: list[Event] = []
        for stream in self.streams:
            start, end = since.get(stream, "0-0"), until.get(stream)
            if end is None or entry_key(end) <= entry_key(start):
                continue
            # "(" makes the start exclusive (Redis >= 6.2).
            entries: Any = await self._link.client.xrange(stream, f"({start}", end)
            for entry_id, fields in entries:
                try:
                    events.append(decode_event(fields[b"e"]))
                except (KeyError, ValueError, TypeError):
                    # As the live reader does: one bad entry must not stop the rest.
                    log.error("skipping unreadable entry %s on %s", entry_id, stream)
        return events

    async def _tails(self) -> dict[str, str]:
        """The id of the newest entry of every stream ("0-0" for an empty one)."""
        delay = RETRY_FIRST_S
        while True:
            try:
                return await self._link.run(self._read_tails)
            except UNAVAILABLE as exc:
                log.warning("Redis unreachable while subscribing (%s); retrying", exc)
            await trio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _read_tails(self) -> dict[str, str]:
        client = self._link.client
        tails: dict[str, str] = {}
        for stream in self.streams:
            newest = await client.xrevrange(stream, count=1)
            tails[stream] = text(newest[0][0]) if newest else "0-0"
        return tails

    async def _read(self, positions: dict[str, str], send: trio.MemorySendChannel[_Entry]) -> None:
        delay = RETRY_FIRST_S
        async with send:
            while True:
                try:
                    batches: Any = await self._link.run(
                        self._link.client.xread,
                        dict[Any, Any](positions),
                        count=READ_COUNT,
                        block=READ_BLOCK_MS,
                    )
                except UNAVAILABLE as exc:
                    log.warning("reading events failed (%s); retrying from where it stopped", exc)
                    await trio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                delay = RETRY_FIRST_S
                for stream, entries in batches or ():
                    name = text(stream)
                    for entry_id, fields in entries:
                        positions[name] = text(entry_id)
                        try:
                            event = decode_event(fields[b"e"])
                        except (KeyError, ValueError, TypeError):
                            log.error("skipping unreadable entry %s on %s", entry_id, name)
                            continue
                        await send.send((name, positions[name], event))
