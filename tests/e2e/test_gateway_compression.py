"""zlib-stream: binary frames, each ending in 00 00 ff ff, one zlib context for the connection."""

from __future__ import annotations

import zlib

import orjson
import pytest

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import ZLIB_SUFFIX, connect
from tests.e2e.gateway_world import guild, identified, join, person, post, text_channel


def _inflate_all(frames: list) -> list[dict]:
    """Decompress frames in order with one context, as a Discord client does."""
    inflator = zlib.decompressobj()
    return [orjson.loads(inflator.decompress(frame)) for frame in frames]


@bounded
async def test_zlib_stream_frames_share_one_context(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    async with identified(gateway.url, bob, compress=True) as client:
        await client.send(1, client.seq)
        await client.wait_op(11)
        for i in range(3):
            await post(api, alice, text_channel(home), f"same words again {i}")
        await client.wait_for("MESSAGE_CREATE", lambda d: d["content"].endswith("2"))
        frames = list(client.raw_frames)
        session_id, seq = client.session_id, client.seq
        await client.abort()
    ops = [(p["op"], p.get("t")) for p in _inflate_all(frames)]
    assert ops[:3] == [(10, None), (0, "READY"), (0, "GUILD_CREATE")]
    assert (11, None) in ops and ops[-1] == (0, "MESSAGE_CREATE")
    assert all(isinstance(f, bytes) and f.endswith(ZLIB_SUFFIX) for f in frames)
    assert frames[0][:1] == b"\x78"  # the zlib header, once, at the stream's start
    # Later frames continue that stream: alone they do not decompress.
    with pytest.raises(zlib.error):
        zlib.decompressobj().decompress(frames[1])
    # The context is kept: a message much like earlier ones takes fewer bytes
    # than the same message compressed on its own.
    alone = zlib.compressobj()
    last = orjson.dumps(_inflate_all(frames)[-1])
    assert len(frames[-1]) < len(alone.compress(last) + alone.flush(zlib.Z_SYNC_FLUSH))

    # A resumed connection is a new stream with its own context.
    async with connect(gateway.url, compress=True) as client:
        await client.hello()
        await client.resume(bob.token, session_id, seq)
        await client.wait_for("RESUMED")
        assert client.raw_frames[0][:1] == b"\x78"
        assert [p["op"] for p in _inflate_all(client.raw_frames)] == [10, 0]


@bounded
async def test_zstd_stream_is_answered_with_plain_text_frames(api, gateway):
    # Clients that prefer zstd-stream (discord.py on Python 3.14) still connect.
    alice = await person(api, "alice")
    async with connect(gateway.url, query="?v=10&encoding=json&compress=zstd-stream") as client:
        await client.hello()
        ready = await client.identify(alice.token)
        assert ready["d"]["user"]["id"] == alice.id
        assert all(isinstance(f, str) for f in client.raw_frames)
