"""Every close code a client can provoke, and the server serving others after each.

Each test tries its variants one connection after another on the same
server, then checks a fresh client still gets HELLO, a heartbeat ACK and READY.
"""

from __future__ import annotations

import contextlib

import orjson
from trio_websocket import ConnectionClosed

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import (
    FLAG_MESSAGE_CONTENT,
    GUILD_MEMBERS,
    GUILDS,
    MESSAGE_CONTENT,
    bot,
    guild,
    person,
    still_serving,
)


async def _refused(url: str, message: str | bytes, code: int) -> None:
    """A fresh connection sends `message` and is closed with `code`, having received no dispatch."""
    async with connect(url) as client:
        await client.hello()
        await client.send_raw(message)
        assert await client.close_code() == code, message
        assert client.dispatches == []


def _payload(op: object, d: object = None) -> str:
    return orjson.dumps({"op": op, "d": d}).decode()


@bounded
async def test_undecodable_payloads_close_4002(api, gateway):
    alice = await person(api, "alice")
    base = orjson.dumps({"op": 1, "d": None, "pad": ""})
    exactly_4096 = orjson.dumps({"op": 1, "d": None, "pad": "x" * (4096 - len(base))})
    assert len(exactly_4096) == 4096
    async with connect(gateway.url) as client:
        await client.hello()
        await client.send_raw(exactly_4096.decode())
        assert (await client.wait_op(11))["d"] is None  # the limit itself is allowed
    for message in [
        orjson.dumps({"op": 1, "d": None, "pad": "x" * (4097 - len(base))}).decode(),
        orjson.dumps({"op": 1, "d": None, "pad": "x" * 10_000}).decode(),
        "{not json",
        "",
        "[1, 2]",
        '"op"',
        _payload("1"),
        _payload(None),
        _payload(True),
        b'{"op": 1, "d": null}\xff',
    ]:
        await _refused(gateway.url, message, 4002)
    # Past 16 KiB trio-websocket stops buffering and closes with 1009 itself
    # (accord.gateway.server.MAX_MESSAGE_BYTES); the connection still ends cleanly.
    async with connect(gateway.url) as client:
        await client.hello()
        with contextlib.suppress(ConnectionClosed):
            await client.send_raw(orjson.dumps({"op": 1, "pad": "x" * 100_000}).decode())
        assert await client.close_code() == 1009
    await still_serving(gateway.url, alice)


@bounded
async def test_unknown_and_server_only_opcodes_close_4001(api, gateway):
    alice = await person(api, "alice")
    for op in [0, 5, 7, 9, 10, 11, 99, -1]:
        await _refused(gateway.url, _payload(op), 4001)
    await still_serving(gateway.url, alice)


@bounded
async def test_anything_but_heartbeat_identify_resume_before_identify_closes_4003(api, gateway):
    alice = await person(api, "alice")
    for op, d in [
        (3, {"status": "idle", "since": None, "activities": [], "afk": False}),
        (8, {"guild_id": "1", "query": "", "limit": 0}),
        (4, {"guild_id": "1", "channel_id": None, "self_mute": False, "self_deaf": False}),
    ]:
        async with connect(gateway.url) as client:
            await client.hello()
            await client.send(1, None)  # a heartbeat is fine before IDENTIFY
            assert (await client.wait_op(11))["op"] == 11
            await client.send(op, d)
            assert await client.close_code() == 4003, op
            assert client.dispatches == []
    await still_serving(gateway.url, alice)


@bounded
async def test_bad_tokens_close_4004(api, gateway):
    alice = await person(api, "alice")
    helper = await bot(api, alice)
    forged_bot = helper.token.rsplit(".", 1)[0] + ".forged"
    forged_jwt = alice.token[:-4] + ("AAAA" if not alice.token.endswith("AAAA") else "BBBB")
    for token in ["nonsense", "a.b.c", forged_jwt, forged_bot, f"Bot {forged_bot}"]:
        identify = {"token": token, "intents": GUILDS, "properties": {}}
        await _refused(gateway.url, _payload(2, identify), 4004)
    # RESUME authenticates too.
    resume = {"token": "nonsense", "session_id": "0" * 32, "seq": 0}
    await _refused(gateway.url, _payload(6, resume), 4004)
    await still_serving(gateway.url, alice)


@bounded
async def test_identify_or_resume_after_identify_closes_4005(api, gateway):
    alice = await person(api, "alice")
    async with connect(gateway.url) as client:
        await client.hello()
        await client.identify(alice.token)
        await client.send_identify(alice.token)
        assert await client.close_code() == 4005
        assert [p["t"] for p in client.dispatches].count("READY") == 1
    async with connect(gateway.url) as client:
        await client.hello()
        await client.identify(alice.token)
        await client.resume(alice.token, client.session_id, client.seq)
        assert await client.close_code() == 4005
    await still_serving(gateway.url, alice)


@bounded
async def test_resume_with_seq_ahead_closes_4007_and_the_session_survives(api, gateway):
    alice = await person(api, "alice")
    async with connect(gateway.url) as first:
        await first.hello()
        await first.identify(alice.token)
        session_id, seq = first.session_id, first.seq
        await first.abort()
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, session_id, seq + 1)
        assert await client.close_code() == 4007
        assert client.dispatches == []
    # 4007 allows a resume: with a correct seq the same session continues.
    async with connect(gateway.url) as client:
        await client.hello()
        await client.resume(alice.token, session_id, seq)
        resumed = await client.wait_for("RESUMED")
        assert resumed["s"] == seq and client.dispatches == []
    await still_serving(gateway.url, alice)


@bounded
async def test_more_than_120_payloads_in_a_minute_close_4008(api, gateway):
    alice = await person(api, "alice")
    async with connect(gateway.url) as client:
        await client.hello()
        for _ in range(121):
            await client.send(1, None)
        assert await client.close_code() == 4008
        # The first 120 were answered; the 121st closed the connection.
        assert [p["op"] for p in client.payloads[1:]] == [11] * 120
    await still_serving(gateway.url, alice)


@bounded
async def test_invalid_intents_close_4013(api, gateway):
    alice = await person(api, "alice")
    for intents in [1 << 17, 1 << 40, -1, "513", 1.5, True, None, [1]]:
        identify = {"token": alice.token, "intents": intents, "properties": {}}
        await _refused(gateway.url, _payload(2, identify), 4013)
    # Bots must send intents at all.
    helper = await bot(api, alice)
    await _refused(gateway.url, _payload(2, {"token": helper.token, "properties": {}}), 4013)
    await still_serving(gateway.url, alice)


@bounded
async def test_privileged_intents_a_bot_lacks_close_4014(api, gateway):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    plain = await bot(api, alice, home, name="Plain")
    reader = await bot(api, alice, home, flags=FLAG_MESSAGE_CONTENT, name="Reader")
    for who, intents in [
        (plain, GUILDS | MESSAGE_CONTENT),
        (plain, GUILDS | GUILD_MEMBERS),
        (reader, GUILDS | MESSAGE_CONTENT | GUILD_MEMBERS),  # approved for one of the two
    ]:
        identify = {"token": who.token, "intents": intents, "properties": {}}
        await _refused(gateway.url, _payload(2, identify), 4014)
    # What each was approved for is granted.
    for who, intents in [(plain, GUILDS), (reader, GUILDS | MESSAGE_CONTENT)]:
        async with connect(gateway.url) as client:
            await client.hello()
            assert (await client.identify(who.token, intents))["d"]["user"]["id"] == who.id
    await still_serving(gateway.url, alice)


@bounded
async def test_unsupported_version_encoding_or_compression_closes_4012(api, gateway):
    alice = await person(api, "alice")
    for query in ["?v=9&encoding=json", "?v=abc", "?v=10&encoding=etf", "?v=10&compress=zstd"]:
        async with connect(gateway.url, query=query) as client:
            try:
                first = await client.ws.get_message()
            except ConnectionClosed as exc:
                assert exc.reason is not None and exc.reason.code == 4012, query
            else:
                raise AssertionError(f"{query}: expected a 4012 close, got {first!r}")
    await still_serving(gateway.url, alice)
