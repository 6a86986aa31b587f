"""RESUME and op 7: a dropped session continues exactly where it stopped, or gets op 9."""

from __future__ import annotations

import trio
from trio_websocket import ConnectionClosed

from accord.gateway import hub as hub_module
from accord.gateway.replay import ReplayBuffer
from accord.gateway.session import Session
from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import (
    guild,
    identified,
    join,
    open_gateway,
    person,
    post,
    text_channel,
)


@bounded
async def test_resume_replays_every_dispatch_after_seq_then_resumed(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    channel = text_channel(home)
    async with identified(gateway.url, bob) as first:
        session_id, seq = first.session_id, first.seq
        await first.abort()
    missed = [(await post(api, alice, channel, f"missed {i}"))["id"] for i in range(3)]
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(bob.token, session_id, seq)
        replayed = []
        while (payload := await client.receive())["t"] != "RESUMED":
            replayed.append(payload)
        assert [(p["s"], p["t"], p["d"]["id"]) for p in replayed] == [
            (seq + 1 + i, "MESSAGE_CREATE", m) for i, m in enumerate(missed)
        ]
        assert payload == {"op": 0, "t": "RESUMED", "s": seq + 3, "d": {}}
        # Live traffic continues the same numbering.
        live = await post(api, alice, channel, "live")
        after = await client.wait_for("MESSAGE_CREATE")
        assert (after["s"], after["d"]["id"]) == (seq + 4, live["id"])
        last = client.seq
        await client.abort()
    # A seq further back, still in the buffer, replays from just after it.
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(bob.token, session_id, seq - 1)
        replayed = []
        while (payload := await client.receive())["t"] != "RESUMED":
            replayed.append(payload)
        assert [p["s"] for p in replayed] == list(range(seq, last + 1))
        assert replayed[0]["t"] == "GUILD_CREATE" and payload["s"] == last
        assert [p["d"]["id"] for p in replayed[1:]] == [*missed, live["id"]]


@bounded
async def test_op7_reconnect_then_resume_loses_nothing(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    channel = text_channel(home)
    async with identified(gateway.url, bob) as client:
        assert gateway.hub.reconnect(client.session_id) is True
        assert await client.wait_op(7) == {"op": 7, "d": None}
        session_id, seq = client.session_id, client.seq
        # As discord.py does: close with a non-1000 code, keeping the session.
        await client.ws.aclose(4000)
    sent = [(await post(api, alice, channel, f"m{i}"))["id"] for i in range(2)]
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(bob.token, session_id, seq)
        resumed = await client.wait_for("RESUMED")
        assert [p["d"]["id"] for p in client.dispatches] == sent
        assert [p["s"] for p in client.dispatches] == [seq + 1, seq + 2]
        assert resumed["s"] == seq + 2
    assert gateway.hub.reconnect("no-such-session") is False


@bounded
async def test_a_clean_close_ends_the_session(api, gateway):
    alice = await person(api, "alice")
    async with identified(gateway.url, alice) as client:
        session_id, seq = client.session_id, client.seq
        await client.ws.aclose(1000)
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, session_id, seq)
        assert await client.wait_op(9) == {"op": 9, "d": False}
        assert client.dispatches == []


@bounded
async def test_resume_refusals_are_op9_false_and_the_connection_may_identify(
    api, gateway, monkeypatch
):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    channel = text_channel(home)
    # Sessions from here on keep only 4 dispatches for replay.
    monkeypatch.setattr(
        hub_module, "Session", lambda **kw: Session(buffer=ReplayBuffer(max_frames=4), **kw)
    )
    async with identified(gateway.url, alice) as pruned, identified(gateway.url, alice) as kept:
        await pruned.abort()
        await kept.abort()
    for i in range(6):
        await post(api, alice, channel, f"m{i}")
    # READY and GUILD_CREATE (s 1-2) and six messages (s 3-8): s 5-8 are kept.
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, kept.session_id, 4)  # the oldest seq still served
        resumed = await client.wait_for("RESUMED")
        assert [p["s"] for p in client.dispatches] == [5, 6, 7, 8] and resumed["s"] == 8
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, pruned.session_id, 3)  # s 4 was evicted
        assert await client.wait_op(9) == {"op": 9, "d": False}
        assert client.dispatches == []
        # After op 9 the client identifies afresh on the same connection.
        ready = await client.identify(alice.token)
        assert ready["s"] == 1 and ready["d"]["session_id"] != pruned.session_id
    # A pruned session is over: even a seq it could serve is now refused.
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, pruned.session_id, 8)
        assert await client.wait_op(9) == {"op": 9, "d": False}
    # Unknown session ids and other users' sessions are refused alike.
    async with identified(gateway.url, alice) as victim:
        await victim.abort()
    for token, session_id in [(alice.token, "f" * 32), (bob.token, victim.session_id)]:
        async with connect(gateway.url) as client:
            await client.hello()
            await client.resume(token, session_id, victim.seq)
            assert await client.wait_op(9) == {"op": 9, "d": False}
            assert client.dispatches == []
    # ... and bob's attempt did not harm alice's session.
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, victim.session_id, victim.seq)
        assert (await client.wait_for("RESUMED"))["s"] == victim.seq


@bounded
async def test_closed_socket_of_a_resumed_session_is_not_reused(api, gateway):
    """RESUME while the old socket is open: the old one is closed, the new one gets traffic."""
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    async with identified(gateway.url, bob) as old, connect(gateway.url) as new:
        await new.hello()
        await new.resume(bob.token, old.session_id, old.seq)
        await new.wait_for("RESUMED")
        sent = await post(api, alice, text_channel(home), "where")
        assert (await new.wait_for("MESSAGE_CREATE"))["d"]["id"] == sent["id"]
        try:
            while True:
                payload = await old.receive()
                assert payload["t"] != "MESSAGE_CREATE", "the replaced socket still got traffic"
        except ConnectionClosed:
            pass


@bounded
async def test_a_session_past_its_resume_window_gets_op9(api, services):
    alice = await person(api, "alice")
    async with open_gateway(services, resume_window_s=0.5) as (url, hub):
        async with identified(url, alice) as client:
            session_id, seq = client.session_id, client.seq
            await client.abort()
        detached_at = trio.current_time()
        # The reaper checks once per window; poll until it has forgotten the
        # session (the registry has no event to wait on).
        while hub.registry.get(session_id) is not None:  # noqa: ASYNC110
            await trio.sleep(0.05)
        assert trio.current_time() - detached_at >= 0.5
        async with connect(url) as client:
            await client.hello()
            await client.resume(alice.token, session_id, seq)
            assert await client.wait_op(9) == {"op": 9, "d": False}
