"""The in-process event bus and rate limiter."""

from __future__ import annotations

import trio

from accord.adapters.memory.bus import InProcessEventBus
from accord.adapters.memory.ratelimit import InMemoryRateLimiter
from accord.core.events import Event
from accord.core.ports.ratelimit import RateLimit


class SteppedClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now_ms(self) -> int:
        return int(self.t * 1000)

    def monotonic(self) -> float:
        return self.t

    def pause(self) -> None:
        self.t += 0.001


async def test_every_subscriber_gets_every_event_in_order():
    bus = InProcessEventBus(buffer=8)
    events = [Event("MESSAGE_CREATE", {"n": n}) for n in range(20)]
    got: dict[int, list[int]] = {0: [], 1: []}

    async def consume(index: int, task_status=trio.TASK_STATUS_IGNORED):
        async with bus.subscribe() as stream:
            task_status.started()
            async for event in stream:
                got[index].append(event.data["n"])
                if len(got[index]) == len(events):
                    return

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(consume, 0)
            await nursery.start(consume, 1)
            for event in events:  # more than the buffer: publish waits, nothing dropped
                await bus.publish(event)
    assert got[0] == got[1] == list(range(20))


async def test_publish_without_subscribers_and_after_unsubscribe():
    bus = InProcessEventBus()
    await bus.publish(Event("X", {}))
    async with bus.subscribe():
        pass
    with trio.fail_after(1):
        await bus.publish(Event("X", {}))  # a departed subscriber never blocks a publisher


async def test_rate_limiter_counts_resets_and_reports():
    clock = SteppedClock()
    limiter = InMemoryRateLimiter(clock)
    rule = RateLimit("messages", limit=2, window=5.0)
    first = await limiter.hit(rule, "u1")
    second = await limiter.hit(rule, "u1")
    third = await limiter.hit(rule, "u1")
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset_after) == (False, 0, 5.0)
    assert (await limiter.hit(rule, "u2")).allowed  # callers are independent
    clock.t += 5.0
    assert (await limiter.hit(rule, "u1")).remaining == 1


async def test_rate_limiter_memory_is_bounded():
    clock = SteppedClock()
    limiter = InMemoryRateLimiter(clock, max_windows=10)
    rule = RateLimit("b", limit=1, window=60.0)
    for n in range(100):
        assert (await limiter.hit(rule, f"caller{n}")).allowed
    assert len(limiter._windows) <= 10
