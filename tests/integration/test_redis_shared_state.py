"""Presence, rate limits and cross-process agreement on a real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import trio

from accord.adapters.redis import handoff as redis_handoff
from accord.adapters.redis import presence as redis_presence
from accord.adapters.redis.agreement import check_jwt_secret, claim_worker_id, release_worker_id
from accord.adapters.redis.client import MAX_CONNECTIONS, RedisLink, open_redis
from accord.adapters.redis.handoff import RedisSessionHandoffs
from accord.adapters.redis.presence import RedisPresence
from accord.adapters.redis.ratelimit import RedisRateLimiter
from accord.config import ConfigError
from accord.core.ports.handoff import Handoff
from accord.core.ports.presence import Status, StatusChange
from accord.core.ports.ratelimit import RateLimit
from accord.core.snowflake import Snowflake

ALICE, BOB = Snowflake(101), Snowflake(102)


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    async with open_redis(redis_url) as link:
        yield link


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex}"


async def test_more_concurrent_commands_than_connections_wait_for_one(link: RedisLink) -> None:
    # Blocked reads hold connections too; the rest queue rather than fail.
    answers: list[object] = []

    async def ping() -> None:
        answers.append(await link.call("PING"))

    async with trio.open_nursery() as nursery:
        for _ in range(3 * MAX_CONNECTIONS):
            nursery.start_soon(ping)
    assert len(answers) == 3 * MAX_CONNECTIONS


async def test_a_users_sessions_on_two_processes_aggregate(link: RedisLink, prefix: str) -> None:
    one = RedisPresence(link, prefix, ttl_s=30, process="one")
    two = RedisPresence(link, prefix, ttl_s=30, process="two")
    await one.keep_alive()
    await two.keep_alive()
    offline, idle, online = Status.OFFLINE, Status.IDLE, Status.ONLINE
    assert await one.set_session_status(ALICE, "a", idle) == StatusChange(offline, idle)
    assert await two.set_session_status(ALICE, "b", online) == StatusChange(idle, online)
    assert (await one.get_statuses([ALICE]))[ALICE].status is Status.ONLINE
    assert await two.drop_session(ALICE, "b") == StatusChange(online, idle)
    assert await one.drop_session(ALICE, "a") == StatusChange(idle, offline)
    state = await two.get_statuses([ALICE, BOB])
    assert state[ALICE].status is Status.OFFLINE and state[ALICE].last_seen is not None
    assert state[BOB].status is Status.OFFLINE and state[BOB].last_seen is None


async def test_concurrent_changes_to_one_user_each_see_a_true_before(
    link: RedisLink, prefix: str
) -> None:
    processes = [RedisPresence(link, prefix, ttl_s=30, process=p) for p in ("one", "two")]
    for presence in processes:
        await presence.keep_alive()
    changes: list[StatusChange] = []
    async with trio.open_nursery() as nursery:  # connections open, so the changes overlap
        for _ in range(40):
            nursery.start_soon(link.call, "PING")

    async def change(n: int, status: Status | None) -> None:
        presence = processes[n % 2]
        if status is None:
            changes.append(await presence.drop_session(ALICE, f"s{n}"))
        else:
            changes.append(await presence.set_session_status(ALICE, f"s{n}", status))

    for status in (Status.ONLINE, None):
        changes.clear()
        async with trio.open_nursery() as nursery:
            for n in range(40):
                nursery.start_soon(change, n, status)
        # Only the first session to arrive brings her online, only the last to go
        # takes her offline: every other change saw one of the others as "before".
        moved = [c for c in changes if c.before is not c.after]
        assert len(changes) == 40
        assert (
            moved == [StatusChange(Status.OFFLINE, Status.ONLINE)]
            if status
            else [StatusChange(Status.ONLINE, Status.OFFLINE)]
        )


async def test_many_users_statuses_are_read_in_bounded_batches(
    link: RedisLink, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_presence, "STATUS_READ_BATCH", 4)  # 23 users: six batches
    live = RedisPresence(link, prefix, ttl_s=30, process="live")
    silent = RedisPresence(link, prefix, ttl_s=30, process="silent")  # never keeps alive
    await live.keep_alive()
    users = [Snowflake(1000 + n) for n in range(23)]
    cycle = (Status.ONLINE, Status.IDLE, Status.DND, Status.INVISIBLE)
    expected: dict[Snowflake, tuple[Status, bool]] = {}
    for n, user in enumerate(users):
        kind = n % 6
        if kind < 4:  # live, with a status of its own
            await live.set_session_status(user, "s", cycle[kind])
            shown = Status.OFFLINE if cycle[kind] is Status.INVISIBLE else cycle[kind]
            expected[user] = (shown, False)
        elif kind == 4:  # only on a process that is not alive, and seen before
            await live.set_session_status(user, "s", Status.ONLINE)
            await live.drop_session(user, "s")
            await silent.set_session_status(user, "t", Status.ONLINE)
            expected[user] = (Status.OFFLINE, True)
        else:  # never seen
            expected[user] = (Status.OFFLINE, False)
    found = await live.get_statuses(users)
    assert list(found) == users
    assert {u: (s.status, s.last_seen is not None) for u, s in found.items()} == expected
    assert await live.get_statuses([]) == {}


async def test_invisible_shows_as_offline(link: RedisLink, prefix: str) -> None:
    presence = RedisPresence(link, prefix, ttl_s=30, process="one")
    await presence.keep_alive()
    assert (await presence.set_session_status(ALICE, "a", Status.INVISIBLE)).after is Status.OFFLINE


async def test_a_silent_process_takes_its_users_offline(link: RedisLink, prefix: str) -> None:
    live = RedisPresence(link, prefix, ttl_s=30, process="live")
    dying = RedisPresence(link, prefix, ttl_s=3, process="dying")
    await live.keep_alive()
    await dying.keep_alive()
    await dying.set_session_status(ALICE, "a", Status.ONLINE)
    await dying.set_session_status(BOB, "b", Status.DND)
    await live.set_session_status(BOB, "c", Status.IDLE)
    assert await live.reap_departed() == []  # still alive
    with trio.fail_after(10):
        # Polling Redis is the point here: its clock decides when the TTL passed.
        while (await live.get_statuses([ALICE]))[ALICE].status is not Status.OFFLINE:  # noqa: ASYNC110
            await trio.sleep(0.2)
    changed = {s.user_id: s.status for s in await live.reap_departed()}
    assert changed == {ALICE: Status.OFFLINE, BOB: Status.IDLE}
    assert await live.reap_departed() == []  # reaped once


async def test_rate_limit_windows_are_shared_and_reset(link: RedisLink, prefix: str) -> None:
    rule = RateLimit("test-bucket", limit=2, window=0.5)
    first, second = RedisRateLimiter(link, prefix), RedisRateLimiter(link, prefix)
    a = await first.hit(rule, "caller")
    b = await second.hit(rule, "caller")
    c = await first.hit(rule, "caller")
    assert (a.allowed, a.remaining, b.allowed, b.remaining) == (True, 1, True, 0)
    assert not c.allowed and 0 < c.reset_after <= 0.5
    assert (await second.hit(rule, "someone else")).allowed
    await trio.sleep(0.6)
    assert (await first.hit(rule, "caller")).allowed


async def test_processes_must_share_the_jwt_secret(link: RedisLink, prefix: str) -> None:
    await check_jwt_secret(link, prefix, b"s" * 40)
    await check_jwt_secret(link, prefix, b"s" * 40)
    with pytest.raises(ConfigError, match="ACCORD_JWT_SECRET differs"):
        await check_jwt_secret(link, prefix, b"t" * 40)


async def test_a_worker_id_is_held_by_one_process(link: RedisLink, prefix: str) -> None:
    await claim_worker_id(link, prefix, 3, "one")
    await claim_worker_id(link, prefix, 3, "one")  # renewing is fine
    with pytest.raises(ConfigError, match="worker id 3 is in use"):
        await claim_worker_id(link, prefix, 3, "two")
    await claim_worker_id(link, prefix, 4, "two")
    await release_worker_id(link, prefix, 3, "one")
    await claim_worker_id(link, prefix, 3, "two")


async def test_a_stopping_gateways_sessions_are_stored_in_pipelines(
    link: RedisLink, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_handoff, "WRITE_BATCH", 3)  # 7 sessions: three pipelines
    handoffs = RedisSessionHandoffs(link, prefix)
    sessions = [Handoff(f"s{n}", f"state {n}".encode(), 60.0 + n) for n in range(7)]
    await handoffs.put_many(sessions)
    for session_id, state, ttl_s in sessions:
        remaining_ms = await link.call("PTTL", f"{prefix}:handoff:{session_id}")
        assert 0 < remaining_ms <= ttl_s * 1000
        assert await handoffs.take(session_id) == state
        assert await handoffs.take(session_id) is None  # taken once
    await handoffs.put_many([])
