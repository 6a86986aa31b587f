"""Clients that read slowly: frames stay whole, and one too far behind is dropped but can resume.

These tests read the server's bytes with a raw client whose socket receive
buffer is tiny, so the server's writes back up into the connection's outbox
while the client keeps sending pings.
"""

from __future__ import annotations

import functools

import orjson

from accord.gateway import server as server_module
from accord.gateway.outbox import Outbox
from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import guild, join, person, post, text_channel
from tests.e2e.raw_websocket import PONG, TEXT, RawWebSocket

# A ~1.5 KB message body: enough bytes per dispatch to fill kernel buffers fast.
BODY = "x" * 1500


async def _raw_identified(url: str, token: str, **options) -> tuple[RawWebSocket, list[dict]]:
    """A raw client that has received HELLO, READY and its one GUILD_CREATE."""
    raw = await RawWebSocket.open(url, **options)
    got: list[dict] = []
    frame = await raw.read_frame()
    assert frame is not None and orjson.loads(frame.payload)["op"] == 10
    await raw.send_text(orjson.dumps({"op": 2, "d": {"token": token, "properties": {}}}).decode())
    while not any(p.get("t") == "GUILD_CREATE" for p in got):
        frame = await raw.read_frame()
        assert frame is not None and frame.opcode == TEXT
        got.append(orjson.loads(frame.payload))
    return raw, got


@bounded
async def test_pongs_never_land_inside_a_queued_data_frame(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    raw, got = await _raw_identified(gateway.url, bob.token, receive_buffer=4096)
    outbox = gateway.hub.registry.get(got[0]["d"]["session_id"]).transport.outbox
    posted: list[str] = []
    pings: list[bytes] = []
    most_queued = 0
    # Not reading: dispatches back up while pings ask for pongs in between.
    for i in range(120):
        posted.append((await post(api, alice, text_channel(home), f"{i} {BODY}"))["id"])
        ping = b"ping %d" % i
        await raw.send_frame(0x9, ping)
        pings.append(ping)
        most_queued = max(most_queued, outbox.pending_bytes)
    # The premise: data was waiting in the outbox while pongs were due.
    assert most_queued > 0, "the outbox never queued; the test proves nothing"
    assert not outbox.closed
    pongs: list[bytes] = []
    while len(pongs) < len(pings) or sum(p.get("t") == "MESSAGE_CREATE" for p in got) < 120:
        frame = await raw.read_frame()
        assert frame is not None, "connection ended early"
        if frame.opcode == PONG:
            pongs.append(frame.payload)
        else:
            assert frame.opcode == TEXT, frame
            got.append(orjson.loads(frame.payload))  # a torn frame would not parse
    assert pongs == pings
    assert [p["s"] for p in got] == list(range(1, len(got) + 1))
    assert [p["d"]["id"] for p in got if p.get("t") == "MESSAGE_CREATE"] == posted
    await raw.aclose()


@bounded
async def test_a_client_too_far_behind_is_dropped_and_resumes_with_nothing_lost(
    api, gateway, monkeypatch
):
    # A 64 KiB outbox instead of 1 MiB: the same overflow path, reached with
    # ~40 messages instead of ~700.
    monkeypatch.setattr(server_module, "Outbox", functools.partial(Outbox, max_pending=64 * 1024))
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    raw, got = await _raw_identified(gateway.url, bob.token, receive_buffer=4096)
    session = gateway.hub.registry.get(got[0]["d"]["session_id"])
    posted: list[str] = []
    while session.transport is not None:
        posted.append((await post(api, alice, text_channel(home), f"{len(posted)} {BODY}"))["id"])
        assert len(posted) < 1000, "the slow client was never dropped"
    # Dropped for being slow, yet kept for a resume; traffic goes on meanwhile.
    assert gateway.hub.registry.get(session.id) is session and not session.ended
    for _ in range(3):
        posted.append((await post(api, alice, text_channel(home), f"later {BODY}"))["id"])
    # What reached the client before the cut is whole and in order.
    while (frame := await raw.read_frame()) is not None:
        assert frame.opcode == TEXT
        got.append(orjson.loads(frame.payload))
    assert raw.eof
    await raw.aclose()
    seq = got[-1]["s"]
    assert [p["s"] for p in got] == list(range(1, seq + 1))
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(bob.token, session.id, seq)
        await client.wait_for("RESUMED")
        assert client.dispatches[0]["s"] == seq + 1
        got.extend(client.dispatches)
    assert [p["s"] for p in got] == list(range(1, len(got) + 1))
    assert [p["d"]["id"] for p in got if p.get("t") == "MESSAGE_CREATE"] == posted
