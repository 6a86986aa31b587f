"""Cache invalidations over a real Redis server: every process acts on each announcement once.

Two adapters on one stream stand for two processes. The one that announces
acted on its announcement as it made it, so its follower of other processes
skips it; the other process hears it once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
import trio

from accord.adapters.crypto import JwtAccessTokens
from accord.adapters.memory.invalidations import LocalInvalidations
from accord.adapters.redis.client import RedisLink, open_redis
from accord.adapters.redis.invalidations import RedisInvalidations
from accord.core.clock import SystemClock
from accord.core.ports.invalidations import Kind
from accord.core.services.auth import AuthService
from accord.core.snowflake import Snowflake, SnowflakeGenerator

ALICE, BOB = Snowflake(101), Snowflake(102)
PROBE: tuple[Kind, int] = ("user", 0)


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    async with open_redis(redis_url) as link:
        yield link


async def heard(
    invalidations: Any,
    into: list[tuple[Kind, int]],
    *,
    others_only: bool = False,
) -> None:
    async with invalidations.listen(others_only=others_only) as announced:
        async for item in announced:
            into.append(item)


async def until(condition: Any) -> None:
    while not condition():  # noqa: ASYNC110
        await trio.sleep(0.01)


async def joined(link: RedisLink, prefix: str, *heard_lists: list[tuple[Kind, int]]) -> None:
    """Once every listener reads the stream (a reader starts from its tail when it first
    reads): a third process announces PROBE until each has heard it. (Tests leave PROBE out
    of what they compare: more of them may still be on their way.)"""
    probe = RedisInvalidations(link, prefix)
    while not all(heard_lists):
        await probe.announce(*PROBE)
        await trio.sleep(0.01)


def without_probes(heard_list: list[tuple[Kind, int]]) -> list[tuple[Kind, int]]:
    return [item for item in heard_list if item != PROBE]


async def test_a_listener_of_others_skips_its_own_processs_announcements(link: RedisLink) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    here, there = RedisInvalidations(link, prefix), RedisInvalidations(link, prefix)
    everything: list[tuple[Kind, int]] = []
    others: list[tuple[Kind, int]] = []

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(heard, here, everything)
            nursery.start_soon(partial(heard, here, others, others_only=True))
            await joined(link, prefix, everything, others)
            await here.announce("session", 1)
            await there.announce("logins", 2)
            await until(lambda: len(without_probes(everything)) == 2 and without_probes(others))
            nursery.cancel_scope.cancel()

    assert without_probes(everything) == [("session", 1), ("logins", 2)]
    assert without_probes(others) == [("logins", 2)]


class Process:
    """An AuthService on its own adapter, noting each flush of its caches and what its
    gateway would hear."""

    def __init__(self, link: RedisLink, prefix: str) -> None:
        clock = SystemClock()
        storage: Any = None  # announcing reads and writes nothing
        self.auth = AuthService(
            storage,
            None,  # type: ignore[arg-type]
            JwtAccessTokens(b"k" * 32),
            SnowflakeGenerator(1, clock),
            clock,
            RedisInvalidations(link, prefix),
            applied=LocalInvalidations(),
        )
        self.flushed: list[tuple[Kind, int]] = []
        self.gateway: list[tuple[Kind, int]] = []
        apply = self.auth.apply

        def counted(kind: Kind, key: int) -> None:
            self.flushed.append((kind, key))
            apply(kind, key)

        self.auth.apply = counted  # type: ignore[method-assign]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.auth.follow_other_processes)
            nursery.start_soon(heard, self.auth.applied, self.gateway)
            task_status.started()


async def test_every_process_acts_once_on_each_announcement(link: RedisLink) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    a, b = Process(link, prefix), Process(link, prefix)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(a.run)
            await nursery.start(b.run)
            await joined(link, prefix, a.gateway, b.gateway)
            await a.auth.logins_ended(ALICE)
            await until(lambda: without_probes(b.gateway))
            # The stream keeps its order: had `a` heard its own announcement
            # back, it would have before this one of b's.
            await b.auth.forget_user(BOB)
            await until(lambda: len(without_probes(a.gateway)) == 2)
            nursery.cancel_scope.cancel()

    for process in (a, b):
        assert without_probes(process.flushed) == [("logins", ALICE), ("user", BOB)]
        assert without_probes(process.gateway) == [("logins", ALICE), ("user", BOB)]
