"""The Redis Streams event bus against a real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio

from accord.adapters.redis.bus import SHARDS, RedisEventBus
from accord.adapters.redis.client import RedisLink, open_redis
from accord.adapters.redis.event_codec import decode_event, encode_event
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    async with open_redis(redis_url) as link:
        yield link


@pytest.fixture
def bus(link: RedisLink) -> RedisEventBus:
    # A prefix of its own keeps this test's streams apart from any other's.
    return RedisEventBus(link, prefix=f"test-{uuid.uuid4().hex}", retention_s=600.0)


def message(n: int, guild: int | None = 7) -> Event:
    return Event(
        "MESSAGE_CREATE",
        {"id": str(n), "content": f"m{n}"},
        guild_id=None if guild is None else Snowflake(guild),
        channel_id=Snowflake(11),
        user_ids=None if guild is not None else frozenset({Snowflake(5), Snowflake(6)}),
    )


def test_an_event_survives_the_codec_whole() -> None:
    event = Event(
        "GUILD_ROLE_DELETE",
        {"guild_id": "7", "role_id": "9"},
        guild_id=Snowflake(7),
        user_ids=frozenset({Snowflake(1), Snowflake(2)}),
        required=Permission.MANAGE_ROLES,
        affects=frozenset({Snowflake(3)}),
    )
    assert decode_event(encode_event(event)) == event


async def take(events: AsyncIterator[Event], count: int) -> list[Event]:
    taken = []
    with trio.fail_after(10):
        async for event in events:
            taken.append(event)
            if len(taken) == count:
                break
    return taken


async def test_subscribers_get_what_is_published_after_they_subscribed(bus: RedisEventBus) -> None:
    await bus.publish(message(0))  # before anyone listens: not delivered
    async with bus.subscribe() as first, bus.subscribe() as second:
        for n in range(1, 6):
            await bus.publish(message(n))
        await bus.publish(message(6, guild=None))
        for events in (first, second):
            got = await take(events, 6)
            assert [e.data["id"] for e in got] == ["1", "2", "3", "4", "5", "6"]
            assert got[-1].user_ids == frozenset({5, 6})


async def test_a_guild_keeps_its_order_across_many_guilds(bus: RedisEventBus) -> None:
    async with bus.subscribe() as events:
        for n in range(200):
            await bus.publish(message(n, guild=1000 + n % (SHARDS * 2)))
        got = await take(events, 200)
    by_guild: dict[int, list[int]] = {}
    for event in got:
        assert event.guild_id is not None
        by_guild.setdefault(event.guild_id, []).append(int(event.data["id"]))
    assert sorted(n for ids in by_guild.values() for n in ids) == list(range(200))
    for ids in by_guild.values():
        assert ids == sorted(ids)


async def test_a_dropped_connection_loses_nothing(bus: RedisEventBus, link: RedisLink) -> None:
    async with bus.subscribe() as events:
        await bus.publish(message(1))
        assert [e.data["id"] for e in await take(events, 1)] == ["1"]
        # Kill every client connection (the subscriber's blocked read among
        # them), then publish while it reconnects.
        await link.call("CLIENT", "KILL", "TYPE", "normal")
        for n in range(2, 12):
            await bus.publish(message(n))
        got = await take(events, 10)
    assert [e.data["id"] for e in got] == [str(n) for n in range(2, 12)]


async def test_replay_continues_from_another_subscribers_position(bus: RedisEventBus) -> None:
    async with bus.subscribe() as ahead:
        for n in range(1, 4):
            await bus.publish(message(n, guild=n))
        await take(ahead, 2)
        handed_over = ahead.position  # through message 2
        await take(ahead, 1)
        for n in range(4, 6):
            await bus.publish(message(n, guild=n))
        await take(ahead, 2)
        replayed = await bus.replay(handed_over, ahead.position)
    assert sorted(int(e.data["id"]) for e in replayed) == [3, 4, 5]
    assert await bus.replay(ahead.position, handed_over) == []


async def test_an_unreadable_entry_is_skipped_live_and_in_replay(
    bus: RedisEventBus, link: RedisLink
) -> None:
    async with bus.subscribe() as events:
        start = events.position
        await bus.publish(message(1))
        await link.call("XADD", bus.stream_of(message(2)), "*", "e", b"not json")
        await bus.publish(message(3))
        got = await take(events, 2)
        assert [e.data["id"] for e in got] == ["1", "3"]
        replayed = await bus.replay(start, events.position)
    assert [e.data["id"] for e in replayed] == ["1", "3"]


async def test_entries_older_than_the_retention_are_trimmed(bus: RedisEventBus, link: RedisLink):
    stream = bus.stream_of(message(1))
    # An entry from long ago (its id is its time: 1 s after the epoch), as a
    # deleted message's MESSAGE_CREATE would sit in a quiet stream.
    await link.call("XADD", stream, "1000-0", "e", "old")
    await bus.publish(message(1))
    entries = await link.call("XRANGE", stream, "-", "+")
    assert b"1000-0" not in [entry[0] for entry in entries]
    assert len(entries) == 1
