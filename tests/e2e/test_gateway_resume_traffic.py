"""Resume under continuing traffic: clients dropped at random end with what a steady one got.

Messages are posted over REST in a loop while several sessions are dropped
at random points (the socket aborted, op 7 from the server, or a resumable
4000 close) and resumed. Each must end with the same MESSAGE_CREATE ids, in
the same order, as a session that never dropped, and its sequence numbers
must run 1, 2, 3, ... across all its connections: no gap, no repeat, and
every replay starts right after the seq it resumed from.
"""

from __future__ import annotations

import os
import random

import trio

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import guild, identified, join, person, post, text_channel

MESSAGES = 120
RESUMERS = 4
DONE = "done"


def _creates(dispatches: list[dict]) -> list[str]:
    return [p["d"]["id"] for p in dispatches if p["t"] == "MESSAGE_CREATE"]


def _finished(dispatches: list[dict]) -> bool:
    last = dispatches[-1]
    return last["t"] == "MESSAGE_CREATE" and last["d"]["content"] == DONE


@bounded
async def test_randomly_dropped_sessions_resume_to_the_exact_sequence(api, gateway):
    seed = int.from_bytes(os.urandom(4), "big")
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    channel = text_channel(home)
    posted: list[str] = []
    # Per resumer: every dispatch over all its connections, and how it was dropped.
    received: list[list[dict]] = [[] for _ in range(RESUMERS)]
    drops: list[list[str]] = [[] for _ in range(RESUMERS)]

    async def poster() -> None:
        for i in range(MESSAGES):
            posted.append((await post(api, alice, channel, f"m{i}"))["id"])
        posted.append((await post(api, alice, channel, DONE))["id"])

    async def resumer(index: int, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        rng = random.Random(seed + index)
        got, how_dropped = received[index], drops[index]
        session_id: str | None = None
        while True:
            async with connect(gateway.url) as client:
                await client.hello()
                if session_id is None:
                    got.append(await client.identify(bob.token))
                    session_id = client.session_id
                    task_status.started()
                else:
                    seq = got[-1]["s"]
                    await client.resume(bob.token, session_id, seq)
                    while (payload := await client.receive())["t"] != "RESUMED":
                        assert payload["op"] == 0, (seed, payload)
                        got.append(payload)
                    assert payload["s"] == got[-1]["s"], (seed, how_dropped)
                # Take a few live dispatches, then drop the connection one way or another.
                for _ in range(rng.randint(0, 12)):
                    if _finished(got):
                        break
                    got.append(await client.wait_op(0))
                if _finished(got):
                    return
                how = rng.choice(["abort", "op7", "close4000"])
                how_dropped.append(how)
                if how == "abort":
                    await client.abort()
                    continue
                if how == "op7":
                    assert gateway.hub.reconnect(session_id)
                    while (payload := await client.receive())["op"] != 7:
                        got.append(payload)
                await client.ws.aclose(4000)

    async with identified(gateway.url, bob) as steady, trio.open_nursery() as nursery:
        for index in range(RESUMERS):
            await nursery.start(resumer, index)
        nursery.start_soon(poster)
        await steady.wait_for("MESSAGE_CREATE", lambda d: d["content"] == DONE)

    assert len(posted) == MESSAGES + 1
    assert _creates(steady.dispatches) == posted
    for got, how_dropped in zip(received, drops, strict=True):
        context = (seed, how_dropped)
        assert [p["s"] for p in got] == list(range(1, len(got) + 1)), context
        assert _creates(got) == posted, context
    # Every way of dropping was exercised (over ~40 drops, by a margin).
    assert {how for d in drops for how in d} == {"abort", "op7", "close4000"}, drops
