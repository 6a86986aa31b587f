"""A bounded, seeded fuzzer of gateway frames against a real server on loopback.

Each case is a few client frames, and each is answered as Discord documents:
a close code, or the connection kept (see `gateway_prober`). Cases run in
batches; after each batch a fresh client must still get HELLO, a heartbeat
ACK and READY, no connection may still hold a session, and nothing may have
been logged at ERROR level or with a traceback.

Where the WebSocket layer refuses a frame before the gateway sees a message,
RFC 6455 decides: a protocol error or a text message that is not UTF-8 ends
the connection (`PROTOCOL_ERROR`), and a message past what the server
buffers (`MAX_MESSAGE_BYTES`, 16 KiB, counted in characters for text) is
closed with 1009 before it is read whole. Between Discord's 4096-byte limit
and that bound, the gateway itself closes with 4002, as Discord does.

The random inputs come from `SEED`, so a failure replays exactly.
"""

from __future__ import annotations

import random
import struct
import zlib
from typing import Any

import orjson
import trio

from accord.gateway import server
from accord.gateway.connection import HEARTBEAT_GRACE
from accord.gateway.frames import MAX_CLIENT_PAYLOAD_BYTES
from accord.gateway.server import MAX_MESSAGE_BYTES
from tests.e2e.conftest import bounded
from tests.e2e.gateway_mutations import SAMPLES, mutants
from tests.e2e.gateway_prober import (
    CASE_SECONDS,
    CONTINUATION,
    DROPPED,
    HEARTBEAT,
    INVALID_SESSION,
    KEPT,
    NO_CODE,
    PROTOCOL_ERROR,
    QUERY,
    READY,
    Case,
    case,
    closed,
    fragments,
    healthy,
    op,
    read_answer,
    read_payload,
    run_cases,
)
from tests.e2e.gateway_world import GUILD_MESSAGES, GUILDS, guild, open_gateway, person
from tests.e2e.raw_websocket import BINARY, CLOSE, PING, PONG, TEXT, RawWebSocket, client_frame

SEED = 14


def field_cases(
    number: int,
    base: dict[str, Any],
    field: str,
    default: str,
    exceptions: dict[str, str] | None = None,
    *,
    inside: str | None = None,
) -> list[Case]:
    """op `number` with `field` of `base` (or of its object `inside`) set to every sample,
    then left out: `default` is expected unless `exceptions` names the sample ("missing")."""
    exceptions = exceptions or {}
    name = field if inside is None else f"{inside}.{field}"
    cases = []
    for kind, value in SAMPLES.items():
        if inside is None:
            d = {**base, field: value}
        else:
            d = {**base, inside: {**base[inside], field: value}}
        expected = exceptions.get(kind, default)
        cases.append(case(f"op {number} {name} = {kind}", {"op": number, "d": d}, expected))
    if inside is None:
        without = {k: v for k, v in base.items() if k != field}
        expected = exceptions.get("missing", default)
        cases.append(case(f"op {number} without {field}", {"op": number, "d": without}, expected))
    return cases


def d_cases(number: int, default: str, exceptions: dict[str, str] | None = None) -> list[Case]:
    """op `number` with `d` set to every sample."""
    return [
        case(
            f"op {number} d = {kind}",
            {"op": number, "d": value},
            (exceptions or {}).get(kind, default),
        )
        for kind, value in SAMPLES.items()
    ]


def raw(label: str, data: bytes, expected: str, opcode: int = TEXT) -> Case:
    """A case of one message of bytes written by hand."""
    return Case(label, [client_frame(opcode, data)], expected)


def malformed_payload_cases() -> list[Case]:
    """Not JSON, not an object, `op` missing, of a wrong type, or not a client's."""
    bad = closed(4002)
    cases = [
        case(f"the payload a {kind}", v, bad) for kind, v in SAMPLES.items() if kind != "object"
    ]
    cases += [
        case("the payload {}", {}, bad),
        case("no op", {"d": None}, bad),
        case("op 1 without d", {"op": 1}, KEPT),
        case("extra top-level keys of odd types", {"op": 1, "d": None, "s": "x", "t": [1]}, KEPT),
        raw("op 2**64 (read as a float)", b'{"op":18446744073709551616}', bad),
        raw("op 1e999", b'{"op":1e999}', bad),
        raw("op NaN", b'{"op":NaN}', bad),
        raw("op 1.0", b'{"op":1.0}', bad),
        raw("op twice, the last counting", b'{"op":7,"op":1}', KEPT),
        raw("an escaped lone surrogate", b'{"op":1,"d":"\\ud800"}', bad),
        raw("an escaped NUL", b'{"op":1,"d":"\\u0000"}', KEPT),
        raw("trailing garbage", HEARTBEAT + b"x", bad),
        raw("two payloads in one message", HEARTBEAT * 2, bad),
        raw("a UTF-8 byte order mark first", b"\xef\xbb\xbf" + HEARTBEAT, bad),
        raw("an empty text message", b"", bad),
        raw("an empty binary message", b"", bad, BINARY),
        raw("a heartbeat as a binary message", HEARTBEAT, KEPT, BINARY),
    ]
    for kind, value in SAMPLES.items():
        if kind not in ("integer", "negative", "huge integer"):
            cases.append(case(f"op a {kind}", {"op": value, "d": None}, bad))
    # Opcodes a client may not send: the server's own, gaps, far out of range.
    for number in [0, 5, 7, 9, 10, 11, 12, 13, 99, -1, 2**31, 2**63, 2**64 - 1]:
        cases.append(case(f"op {number}", {"op": number, "d": {"token": "x"}}, closed(4001)))
    return cases


def random_byte_cases(rng: random.Random) -> list[Case]:
    """Random bytes as binary messages (never JSON: 4002) and as text messages
    (a protocol error unless they happen to be UTF-8); malformed UTF-8 on purpose."""
    cases = []
    for index in range(30):
        data = rng.randbytes(rng.randrange(1, 600))
        cases.append(raw(f"random binary #{index}", data, closed(4002), BINARY))
    for index in range(30):
        data = rng.randbytes(rng.randrange(1, 600))
        try:
            data.decode()
        except UnicodeDecodeError:
            cases.append(raw(f"random text #{index}", data, PROTOCOL_ERROR))
        else:
            cases.append(raw(f"random text #{index}", data, closed(4002)))
    for index in range(20):
        size = rng.randrange(1, 300)
        chars = "".join(rng.choice('{}[]":,0123456789.-+eE tfnrul\\') for _ in range(size))
        cases.append(raw(f"random JSON-ish #{index} {chars[:40]!r}", chars.encode(), closed(4002)))
    for label, data in [
        ("a lone 0xff", b"\xff"),
        ("an overlong NUL", b"\xc0\x80"),
        ("an encoded surrogate", b"\xed\xa0\x80"),
        ("a cut multi-byte character", HEARTBEAT[:-1] + b"\xe2\x82"),
        ("0xff inside a JSON string", b'{"op":1,"d":"\xff"}'),
    ]:
        cases.append(raw(f"text: {label}", data, PROTOCOL_ERROR))
        cases.append(raw(f"binary: {label}", data, closed(4002), BINARY))
    return cases


@bounded
async def test_random_bytes_and_malformed_payloads(api, gateway, caplog):
    alice = await person(api, "alice")
    cases = malformed_payload_cases() + random_byte_cases(random.Random(SEED))
    await run_cases(gateway.url, cases)
    await healthy(gateway.url, gateway.hub, alice, caplog)
    await run_cases(gateway.url, malformed_payload_cases(), token=alice.token)
    await healthy(gateway.url, gateway.hub, alice, caplog)


def identify_cases(token: str) -> list[Case]:
    """IDENTIFY with each field of a valid one given every sample, and odd tokens."""
    base = {
        "token": token,
        "intents": GUILDS | GUILD_MESSAGES,
        "properties": {"os": "linux", "browser": "fuzz", "device": "fuzz"},
        "large_threshold": 50,
        "shard": [0, 1],
        "presence": {"status": "online", "since": None, "activities": [], "afk": False},
        "compress": False,
    }
    cases = [case("op 2, valid", {"op": 2, "d": base}, READY)]
    cases += field_cases(2, base, "token", closed(4002), {"string": closed(4004)})
    cases += field_cases(2, base, "intents", closed(4013), {"integer": READY, "missing": READY})
    cases += field_cases(2, base, "large_threshold", closed(4002), {"missing": READY})
    cases += field_cases(2, base, "shard", closed(4010), {"null": READY, "missing": READY})
    cases += field_cases(2, base, "status", closed(4002), {"null": READY}, inside="presence")
    # Read only when they are what they should be, otherwise ignored.
    for ignored in ("properties", "presence", "compress"):
        cases += field_cases(2, base, ignored, READY)
    for label, value, expected in [
        ("empty", "", closed(4002)),
        ("blank", " ", closed(4004)),
        ("a bare scheme", "Bot ", closed(4004)),
        ("a bare Bearer", "Bearer ", closed(4004)),
        ("NUL", "\u0000", closed(4004)),
        ("a bot token of NULs", "Bot \u0000.\u0000", closed(4004)),
        ("a JWT of NULs", "\u0000.\u0000.\u0000", closed(4004)),
        ("a bot id past 64 bits", "Bot " + "9" * 30 + ".x", closed(4004)),
        ("a negative bot id", "Bot -1.x", closed(4004)),
        ("non-ASCII", "\u00fc.\u00f6.\u00e4", closed(4004)),
        ("2048 characters", "x" * 2048, closed(4004)),
        ("2049 characters", "x" * 2049, closed(4002)),
        ("the token after Bearer", f"Bearer {token}", READY),
        ("the token after Bot", f"Bot {token}", closed(4004)),
    ]:
        d = {**base, "token": value}
        cases.append(case(f"op 2 token {label}", {"op": 2, "d": d}, expected))
    return cases


def resume_cases(token: str) -> list[Case]:
    """RESUME of an unknown session (op 9, kept) with each field given every sample."""
    base = {"token": token, "session_id": "0" * 32, "seq": 0}
    unknown = INVALID_SESSION
    numbers = dict.fromkeys(["null", "integer", "negative", "huge integer", "missing"], unknown)
    cases = [case("op 6, unknown session", {"op": 6, "d": base}, unknown)]
    cases += field_cases(6, base, "token", closed(4002), {"string": closed(4004)})
    cases += field_cases(6, base, "session_id", closed(4002), {"string": unknown})
    cases += field_cases(6, base, "seq", closed(4002), numbers)
    for label, value, expected in [
        ("NUL", "\u0000", unknown),
        ("64 characters", "x" * 64, unknown),
        ("65 characters", "x" * 65, closed(4002)),
    ]:
        d = {**base, "session_id": value}
        cases.append(case(f"op 6 session_id {label}", {"op": 6, "d": d}, expected))
    return cases


def presence_cases() -> list[Case]:
    base = {"since": None, "activities": [], "status": "idle", "afk": False}
    cases = [case("op 3, valid", {"op": 3, "d": base}, KEPT)]
    cases += field_cases(3, base, "status", closed(4002), {"null": KEPT, "missing": KEPT})
    for ignored in ("since", "activities", "afk"):
        cases += field_cases(3, base, ignored, KEPT)
    return cases


def voice_cases(guild_id: str) -> list[Case]:
    """Op 4 is accepted and ignored, whatever it holds: there is no voice here."""
    base = {"guild_id": guild_id, "channel_id": None, "self_mute": False, "self_deaf": False}
    cases = [case("op 4, valid", {"op": 4, "d": base}, KEPT)]
    for field in base:
        cases += field_cases(4, base, field, KEPT)
    return cases


def request_members_cases(guild_id: str, user_id: str) -> list[Case]:
    by_query = {"guild_id": guild_id, "query": "", "limit": 0, "presences": False, "nonce": "n"}
    by_ids = {"guild_id": guild_id, "user_ids": [user_id], "nonce": "n"}
    bad = closed(4002)
    cases = [
        case("op 8 by query, valid", {"op": 8, "d": by_query}, KEPT),
        case("op 8 by ids, valid", {"op": 8, "d": by_ids}, KEPT),
        case("op 8 by query and ids", {"op": 8, "d": {**by_query, "user_ids": []}}, bad),
    ]
    cases += field_cases(8, by_query, "guild_id", bad, {"integer": KEPT})
    cases += field_cases(8, by_query, "query", bad, {"string": KEPT, "empty string": KEPT})
    cases += field_cases(8, by_query, "limit", bad, {"integer": KEPT, "missing": KEPT})
    cases += field_cases(8, by_query, "presences", bad, {"boolean": KEPT, "missing": KEPT})
    cases += field_cases(8, by_query, "nonce", KEPT)  # an odd nonce is dropped, not fatal
    cases += field_cases(8, by_ids, "user_ids", bad, {"integer": KEPT, "list": KEPT})
    for label, value, expected in [
        ("of 20 digits, past 2**63", "1" * 20, bad),
        ("with a leading zero", "0" + guild_id, KEPT),
        ("of Arabic-Indic digits", "\u0661\u0662", bad),
        ("with a sign", "+1", bad),
        ("2**63 - 1", 2**63 - 1, KEPT),
        ("2**63", 2**63, bad),
    ]:
        d = {**by_query, "guild_id": value}
        cases.append(case(f"op 8 guild_id {label}", {"op": 8, "d": d}, expected))
    # A query is a prefix search in the database.
    for label, value, expected in [
        ("NUL", "\u0000", bad),  # as REST refuses it: no name holds one
        ("%", "%", KEPT),
        ("_", "_", KEPT),
        ("a backslash", "\\", KEPT),
        ("a quote", "'", KEPT),
        ("an emoji", "\U0001f600", KEPT),
        ("of 100 characters", "a" * 100, KEPT),
        ("of 101 characters", "a" * 101, bad),
    ]:
        d = {**by_query, "query": value, "limit": 10}
        cases.append(case(f"op 8 query {label}", {"op": 8, "d": d}, expected))
    for label, value, expected in [
        ("100 ids", [str(n) for n in range(1, 101)], KEPT),
        ("101 ids", [str(n) for n in range(1, 102)], bad),
        ("a nested list", [[user_id]], bad),
        ("a null id", [None], bad),
    ]:
        d = {**by_ids, "user_ids": value}
        cases.append(case(f"op 8 user_ids {label}", {"op": 8, "d": d}, expected))
    return cases


async def detached_session(url: str, token: str) -> tuple[str, int]:
    """A session identified and then dropped (resumable): its id and last seq."""
    ws = await RawWebSocket.open(url, QUERY)
    assert (await read_payload(ws))["op"] == 10
    await ws.send_frame(TEXT, orjson.dumps({"op": 2, "d": {"token": token, "intents": GUILDS}}))
    await ws.send_frame(TEXT, HEARTBEAT)
    dispatches = []
    while (payload := await read_payload(ws))["op"] != 11:  # after READY and GUILD_CREATEs
        dispatches.append(payload)
    await ws.aclose()
    return dispatches[0]["d"]["session_id"], dispatches[-1]["s"]


@bounded
async def test_wrong_types_for_every_field_of_every_op(api, gateway, caplog):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    # Before IDENTIFY: only heartbeats, IDENTIFY and RESUME are allowed (else 4003).
    cases = identify_cases(alice.token) + resume_cases(alice.token)
    cases += d_cases(1, KEPT) + d_cases(2, closed(4002)) + d_cases(6, closed(4002))
    for number in (3, 4, 8):
        cases += d_cases(number, closed(4003))
    session_id, seq = await detached_session(gateway.url, alice.token)
    for label, value, expected in [
        ("-1", -1, closed(4007)),
        ("one ahead", seq + 1, closed(4007)),
        ("2**64 - 1", 2**64 - 1, closed(4007)),
        ("a string", str(seq), closed(4002)),
        ("a float", seq + 0.5, closed(4002)),
    ]:
        d = {"token": alice.token, "session_id": session_id, "seq": value}
        cases.append(case(f"op 6 of a live session, seq {label}", {"op": 6, "d": d}, expected))
    await run_cases(gateway.url, cases)
    await healthy(gateway.url, gateway.hub, alice, caplog)

    # After IDENTIFY: IDENTIFY and RESUME again are 4005, whatever they hold.
    cases = presence_cases() + voice_cases(home["id"]) + request_members_cases(home["id"], alice.id)
    cases += d_cases(1, KEPT) + d_cases(2, closed(4005)) + d_cases(6, closed(4005))
    cases += d_cases(3, closed(4002), {"object": KEPT}) + d_cases(4, KEPT)
    cases += d_cases(8, closed(4002))
    await run_cases(gateway.url, cases, token=alice.token)
    await healthy(gateway.url, gateway.hub, alice, caplog)


def nested(depth: int) -> orjson.Fragment:
    """`depth` empty lists, one inside the other, as JSON."""
    return orjson.Fragment(b"[" * depth + b"]" * depth)


def nesting_cases(identified: bool) -> list[Case]:
    """orjson reads 1024 levels (the payload object and 1023 lists in d); deeper is
    4002, and 10,000 levels take 20 KB, past what the server buffers (1009)."""
    deepest = orjson.dumps({"op": 1, "d": nested(10_000)})
    cases = [
        Case("d: 1023 nested lists", [op(1, nested(1023))], KEPT),
        Case("d: 1024 nested lists", [op(1, nested(1024))], closed(4002)),
        Case("d: 2000 nested lists", [op(1, nested(2000))], closed(4002)),
        Case(
            "d: 600 nested objects",
            [op(1, orjson.Fragment(b'{"a":' * 600 + b"1" + b"}" * 600))],
            KEPT,
        ),
        raw("d: 2000 unclosed lists", b'{"op":1,"d":' + b"[" * 2000, closed(4002)),
        raw("d: 8000 unclosed lists, past 4096 bytes", b'{"op":1,"d":' + b"[" * 8000, closed(4002)),
        raw("d: 10,000 nested lists", deepest, closed(1009)),
        raw("d: 10,000 nested lists, binary", deepest, closed(1009), BINARY),
        Case("d: 10,000 nested lists in 1 KiB fragments", fragments(deepest, 1024), closed(1009)),
    ]
    deep = nested(1000)
    if identified:
        answers = {1: KEPT, 2: closed(4005), 3: closed(4002), 4: KEPT, 6: closed(4005)}
        answers[8] = closed(4002)
        cases += [
            Case("op 3 activities: 1000 nested lists", [op(3, {"activities": deep})], KEPT),
            Case("op 4 channel_id: 1000 nested lists", [op(4, {"channel_id": deep})], KEPT),
            Case(
                "op 8 user_ids: 1000 nested lists",
                [op(8, {"guild_id": "1", "user_ids": deep})],
                closed(4002),
            ),
            Case(
                "op 8 nonce: 1000 nested lists",
                [op(8, {"guild_id": "1", "query": "", "nonce": deep})],
                KEPT,
            ),
        ]
    else:
        answers = {1: KEPT, 2: closed(4002), 6: closed(4002)}
        answers |= dict.fromkeys([3, 4, 8], closed(4003))  # IDENTIFY first
    for number, expected in answers.items():
        cases.append(Case(f"op {number} d: 1000 nested lists", [op(number, deep)], expected))
    return cases


def padded(size: int, pad: str = "x") -> bytes:
    """A heartbeat padded with `pad` characters to `size` bytes (just past it, for wide ones)."""
    base = len(orjson.dumps({"op": 1, "d": None, "pad": ""}))
    count = -(-(size - base) // len(pad.encode()))
    return orjson.dumps({"op": 1, "d": None, "pad": pad * count})


def oversize_cases() -> list[Case]:
    """Past Discord's 4096 bytes 4002, up to the 16 KiB the server buffers a message
    for; past that the WebSocket layer closes with 1009 before reading it all."""
    limit, buffered = MAX_CLIENT_PAYLOAD_BYTES, MAX_MESSAGE_BYTES
    assert len(padded(limit)) == limit and len(padded(buffered + 1)) == buffered + 1
    return [
        raw(f"text of {limit} bytes", padded(limit), KEPT),
        raw(f"text of {limit + 1} bytes", padded(limit + 1), closed(4002)),
        raw(f"binary of {limit + 1} bytes", padded(limit + 1), closed(4002), BINARY),
        raw(f"text of {buffered} bytes", padded(buffered), closed(4002)),
        raw(f"binary of {buffered} bytes", padded(buffered), closed(4002), BINARY),
        raw(f"text of {buffered + 1} bytes", padded(buffered + 1), closed(1009)),
        raw(f"binary of {buffered + 1} bytes", padded(buffered + 1), closed(1009), BINARY),
        raw("text of 100 KiB", padded(100 * 1024), closed(1009)),
        raw("text of 1 MiB", padded(1024 * 1024), closed(1009)),
        # Counted in characters by the WebSocket layer, so these 18 KB pass it.
        raw("text of 6,000 3-byte characters", padded(18_000, "\u20ac"), closed(4002)),
        Case("5 KiB in 1 KiB fragments", fragments(padded(5 * 1024), 1024), closed(4002)),
        Case("20 KiB in 1 KiB fragments", fragments(padded(20 * 1024), 1024), closed(1009)),
        Case(
            "a frame announcing 2**40 bytes, 20 KiB sent",
            [client_frame(TEXT, padded(20 * 1024), length=2**40)],
            closed(1009),
        ),
        Case(
            "a frame announcing 2**63 bytes",
            [client_frame(TEXT, b"{}", length=2**63)],
            PROTOCOL_ERROR,
        ),
    ]


def fragmentation_cases() -> list[Case]:
    """Messages in continuation frames, interleaved legally and not (RFC 6455 5.4, 5.5)."""
    head, tail = (
        client_frame(TEXT, HEARTBEAT[:5], fin=False),
        client_frame(CONTINUATION, HEARTBEAT[5:]),
    )
    euro = orjson.dumps({"op": 1, "d": None, "pad": "\u20ac"})
    cut = euro.index(b"\xe2") + 1  # inside the euro sign's three bytes
    close_4000 = client_frame(CLOSE, struct.pack("!H", 4000) + b"bye")
    cases = [
        Case("a heartbeat in three fragments", fragments(HEARTBEAT, 6), KEPT),
        Case("a heartbeat in 1-byte fragments", fragments(HEARTBEAT, 1), KEPT),
        Case("a binary heartbeat in fragments", fragments(HEARTBEAT, 4, BINARY), KEPT),
        Case(
            "an empty first fragment",
            [client_frame(TEXT, b"", fin=False), client_frame(CONTINUATION, HEARTBEAT)],
            KEPT,
        ),
        Case(
            "an empty last fragment",
            [client_frame(TEXT, HEARTBEAT, fin=False), client_frame(CONTINUATION, b"")],
            KEPT,
        ),
        Case(
            "a character cut between fragments",
            [client_frame(TEXT, euro[:cut], fin=False), client_frame(CONTINUATION, euro[cut:])],
            KEPT,
        ),
        Case("a ping between fragments", [head, client_frame(PING, b"there?"), tail], KEPT),
        Case("an unasked pong between fragments", [head, client_frame(PONG, b"x"), tail], KEPT),
        raw("a ping of 125 bytes", b"p" * 125, KEPT, PING),
        Case("a close (4000) between fragments", [head, close_4000], closed(4000), probe=False),
        Case(
            "a close (1000)",
            [client_frame(CLOSE, struct.pack("!H", 1000))],
            closed(1000),
            probe=False,
        ),
        Case("a close without a code", [client_frame(CLOSE, b"")], NO_CODE, probe=False),
        # Each of these breaks RFC 6455.
        raw("a continuation of nothing", HEARTBEAT, PROTOCOL_ERROR, CONTINUATION),
        Case(
            "a text frame inside a fragmented message",
            [head, client_frame(TEXT, HEARTBEAT)],
            PROTOCOL_ERROR,
        ),
        Case(
            "a binary frame inside a fragmented message",
            [head, client_frame(BINARY, HEARTBEAT)],
            PROTOCOL_ERROR,
        ),
        Case(
            "a fragmented ping",
            [client_frame(PING, b"a", fin=False), client_frame(CONTINUATION, b"b")],
            PROTOCOL_ERROR,
        ),
        raw("a ping of 126 bytes", b"p" * 126, PROTOCOL_ERROR, PING),
        Case("RSV1 set", [client_frame(TEXT, HEARTBEAT, rsv=4)], PROTOCOL_ERROR),
        Case("RSV3 set", [client_frame(TEXT, HEARTBEAT, rsv=1)], PROTOCOL_ERROR),
        raw("reserved data opcode 0x3", HEARTBEAT, PROTOCOL_ERROR, 0x3),
        raw("reserved control opcode 0xB", b"", PROTOCOL_ERROR, 0xB),
        Case("an unmasked frame", [client_frame(TEXT, HEARTBEAT, masked=False)], PROTOCOL_ERROR),
        raw("a close of 1 byte", b"\x03", PROTOCOL_ERROR, CLOSE),
        raw(
            "a close reason that is not UTF-8",
            struct.pack("!H", 4000) + b"\xff",
            PROTOCOL_ERROR,
            CLOSE,
        ),
        Case(
            "fragments joining into invalid UTF-8",
            [
                client_frame(TEXT, b'{"op":1,"d":"\xe2', fin=False),
                client_frame(CONTINUATION, b'x"}'),
            ],
            PROTOCOL_ERROR,
        ),
    ]
    for code in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000):  # codes no endpoint may send
        cases.append(
            raw(f"a close with code {code}", struct.pack("!H", code), PROTOCOL_ERROR, CLOSE)
        )
    return cases


@bounded
async def test_deep_nesting_oversize_and_fragmented_frames(api, gateway, caplog):
    alice = await person(api, "alice")
    cases = nesting_cases(identified=False) + oversize_cases() + fragmentation_cases()
    await run_cases(gateway.url, cases)
    await healthy(gateway.url, gateway.hub, alice, caplog)
    await run_cases(gateway.url, nesting_cases(identified=True), token=alice.token)
    await healthy(gateway.url, gateway.hub, alice, caplog)


async def first_answer(url: str, resource: str) -> str:
    """What the server sends first after the handshake for `resource`: a close, or HELLO."""
    ws = await RawWebSocket.open(url, resource)
    try:
        frame = await ws.read_frame()
    finally:
        await ws.aclose()
    if frame is None:
        return DROPPED
    if frame.opcode == CLOSE:
        return closed(struct.unpack("!H", frame.payload[:2])[0])
    if frame.opcode == BINARY:
        assert frame.payload.endswith(b"\x00\x00\xff\xff"), frame
        hello = orjson.loads(zlib.decompressobj().decompress(frame.payload))
        return "HELLO in zlib-stream" if hello["op"] == 10 else repr(hello)
    return "HELLO" if orjson.loads(frame.payload)["op"] == 10 else repr(frame)


def upgrade_request(url: str, resource: str = QUERY, version: str = "13") -> bytes:
    host = url.removeprefix("ws://")
    return (
        f"GET {resource} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: {version}\r\n\r\n"
    ).encode()


async def tcp(url: str) -> trio.SocketStream:
    host, port = url.removeprefix("ws://").split(":")
    return await trio.open_tcp_stream(host, int(port))


async def until_closed(stream: trio.SocketStream) -> str:
    """Read until the server ends the connection; what it answered, by its status line."""
    received = bytearray()
    with trio.move_on_after(CASE_SECONDS):
        while True:
            try:
                data = await stream.receive_some(65536)
            except trio.BrokenResourceError:
                data = b""
            if not data:
                await stream.aclose()
                line = bytes(received).split(b"\r\n", 1)[0].decode("latin-1")
                return f"closed after {line!r}" if line else "closed"
            received.extend(data)
    await stream.aclose()
    return "still open"


async def upgraded(url: str, request: bytes | None = None) -> RawWebSocket:
    """A connection past the handshake (sent whole, or as `request`) whose HELLO was read."""
    ws = RawWebSocket(await tcp(url), read_size=65536)
    await ws.stream.send_all(request or upgrade_request(url))
    head = await ws._read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    assert (await read_payload(ws))["op"] == 10
    return ws


@bounded
async def test_query_values_and_handshakes_cut_short(api, gateway, caplog, monkeypatch):
    """Only v=10, encoding=json and compress=zlib-stream are spoken (4012 otherwise);
    a handshake left unfinished ends within the handshake timeout."""
    monkeypatch.setattr(server, "HANDSHAKE_TIMEOUT_S", 1.0)
    alice = await person(api, "alice")
    url = gateway.url
    expected = {
        "/?v=10&encoding=json": "HELLO",
        "/": "HELLO",
        "/?v=10": "HELLO",
        "/some/path?v=10&encoding=json": "HELLO",
        "/?v=10&encoding=json&compress=zlib-stream": "HELLO in zlib-stream",
        "/?v=10&compress=zstd-stream": "HELLO",  # not spoken: plain text, which all read
        "/?v=10&unknown=1&&": "HELLO",
        "/?v=%31%30": "HELLO",
        "/?v=9&v=10": "HELLO",  # a repeated parameter's last value counts
        "/?v=": "HELLO",  # a blank value is no value
    }
    refused = [
        *("v=9", "v=11", "v=abc", "v=10.0", "v=010", "v=%2B10", "v=-1", "v=10&v=9"),
        *("v=" + "9" * 1000, "v=%ff%fe", "v=%00", "v=10;encoding=json", "v=10%00"),
        *("encoding=etf", "encoding=JSON", "encoding=json%00", "encoding=" + "j" * 1000),
        *("compress=zlib", "compress=true", "compress=ZLIB-STREAM", "compress=" + "z" * 1000),
    ]
    expected |= {f"/?{query}": closed(4012) for query in refused}
    answers = {resource: await first_answer(url, resource) for resource in expected}
    assert answers == expected
    await healthy(url, gateway.hub, alice, caplog)

    request = upgrade_request(url)
    unfinished = {
        "silence": (b"", "closed"),
        "half an upgrade request": (request[:40], "closed"),
        "an upgrade request without its blank line": (request[:-2], "closed"),
        "bytes that are not HTTP": (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03",
            "closed after 'HTTP/1.1 400 '",
        ),
        "a GET without the upgrade": (
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "closed after 'HTTP/1.1 400 '",
        ),
        "WebSocket version 8": (upgrade_request(url, version="8"), "closed after 'HTTP/1.1 426 '"),
        "a target with raw non-ASCII bytes": (
            request.replace(b"/?", b"/\xff?"),
            "closed after 'HTTP/1.1 400 '",
        ),
    }
    answers = {}

    async def send_and_wait(label: str, data: bytes) -> None:
        stream = await tcp(url)
        await stream.send_all(data)
        answers[label] = await until_closed(stream)

    async with trio.open_nursery() as nursery:
        for label, (data, _) in unfinished.items():
            nursery.start_soon(send_and_wait, label, data)
    assert answers == {label: answer for label, (_, answer) in unfinished.items()}

    # A handshake dribbled in a byte at a time is still one.
    ws = RawWebSocket(await tcp(url), read_size=65536)
    for byte in request:
        await ws.stream.send_all(bytes([byte]))
    head = await ws._read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101") and (await read_payload(ws))["op"] == 10
    await ws.aclose()

    # The client goes away at every step: nothing to answer, nothing left behind.
    stream = await tcp(url)
    await stream.aclose()
    stream = await tcp(url)
    await stream.send_all(request[:30])
    await stream.aclose()
    ws = RawWebSocket(await tcp(url), read_size=65536)
    await ws.stream.send_all(request)
    await ws.aclose()  # before the 101 and HELLO were read
    for last in [
        b"\x81",  # half a frame header
        client_frame(TEXT, HEARTBEAT, length=100)[:16],  # a header for 100 bytes, 10 sent
        client_frame(TEXT, HEARTBEAT[:4], fin=False),  # a message begun
        client_frame(CLOSE, struct.pack("!H", 4000)),  # a close, not waiting for the echo
    ]:
        ws = await upgraded(url)
        await ws.stream.send_all(last)
        await ws.aclose()
    ws = await upgraded(url)
    await ws.send_frame(TEXT, orjson.dumps({"op": 2, "d": {"token": alice.token}}))
    await ws.aclose()  # before READY: the session is left detached, resumable
    await healthy(url, gateway.hub, alice, caplog)


@bounded
async def test_frames_left_unfinished_close_4009_within_the_heartbeat_window(api, services, caplog):
    """However a client leaves a frame or message unfinished, the heartbeat watchdog
    closes the connection with 4009 once the heartbeat is overdue."""
    alice = await person(api, "alice")
    interval_ms = 1000  # short, yet long enough for the fresh client's IDENTIFY at the end
    window = interval_ms / 1000 * HEARTBEAT_GRACE
    stalls = {
        "silence after HELLO": b"",
        "half a frame header": b"\x81",
        "a header for 100 bytes, 10 sent": client_frame(TEXT, HEARTBEAT, length=100)[:16],
        "an unfinished fragmented message": client_frame(TEXT, HEARTBEAT[:4], fin=False),
    }
    identify = orjson.dumps({"op": 2, "d": {"token": alice.token, "intents": GUILDS}})
    answers: dict[str, tuple[str, float]] = {}
    async with open_gateway(services, heartbeat_interval_ms=interval_ms) as (url, hub):

        async def stall(label: str, data: bytes) -> None:
            ws = await upgraded(url)
            started = trio.current_time()
            if label.endswith("after IDENTIFY"):
                await ws.send_frame(TEXT, identify)
            await ws.stream.send_all(data)
            answers[label] = (await read_answer(ws), trio.current_time() - started)
            await ws.aclose()

        async with trio.open_nursery() as nursery:
            for label, data in stalls.items():
                nursery.start_soon(stall, label, data)
                nursery.start_soon(stall, f"{label} after IDENTIFY", data)
        assert len(answers) == 2 * len(stalls)
        # read_answer reads past READY to the close; the 1.5 s are for a busy machine.
        late = {k: v for k, v in answers.items() if v[0] != closed(4009) or v[1] > window + 1.5}
        assert not late, (window, late)
        await healthy(url, hub, alice, caplog)


@bounded
async def test_mutated_payloads(api, gateway, caplog):
    """Random edits of valid payloads are answered with a close code a client can act on
    (never 4000), or kept; the connection is never dropped or left hanging."""
    alice = await person(api, "alice")
    home = await guild(api, alice)
    rng = random.Random(SEED)
    identify = {
        "token": alice.token,
        "intents": GUILDS | GUILD_MESSAGES,
        "properties": {"os": "linux", "browser": "fuzz", "device": "fuzz"},
        "large_threshold": 50,
        "shard": [0, 1],
        "presence": {"status": "online", "since": None, "activities": [], "afk": False},
    }
    seeds = [
        {"op": 1, "d": 5},
        {"op": 2, "d": identify},
        {"op": 6, "d": {"token": alice.token, "session_id": "0" * 32, "seq": 3}},
        {"op": 3, "d": {"since": None, "activities": [], "status": "idle", "afk": False}},
        {"op": 4, "d": {"guild_id": home["id"], "channel_id": None, "self_mute": False}},
        {"op": 8, "d": {"guild_id": home["id"], "query": "al", "limit": 10, "nonce": "x"}},
        {"op": 8, "d": {"guild_id": home["id"], "user_ids": [alice.id], "presences": True}},
    ]
    codes = {closed(code) for code in (4001, 4002, 4003, 4004, 4010, 4013)}
    before = frozenset({KEPT, READY, INVALID_SESSION, *codes})
    await run_cases(gateway.url, mutants(rng, seeds, 120, before))
    await healthy(gateway.url, gateway.hub, alice, caplog)
    after = frozenset({KEPT, closed(4001), closed(4002), closed(4005)})
    await run_cases(gateway.url, mutants(rng, seeds, 80, after), token=alice.token)
    await healthy(gateway.url, gateway.hub, alice, caplog)
