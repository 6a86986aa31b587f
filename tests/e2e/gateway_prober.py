"""Runs fuzz cases against a live gateway and reports how each was answered.

A case is a few raw client frames sent after HELLO (and after IDENTIFY, when
the prober is given a token). Its answer is read from the wire: the server's
close code, or, when the connection was kept, the reply to a probe sent
after the case. Every client frame is built by hand (`client_frame`), so a
case may be any byte sequence, legal or not.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import trio

from accord.gateway.hub import Hub
from tests.e2e.gateway_world import GUILDS, Person, still_serving
from tests.e2e.raw_websocket import CLOSE, PING, PONG, TEXT, RawWebSocket, client_frame

QUERY = "/?v=10&encoding=json"
CONTINUATION = 0x0
HEARTBEAT = b'{"op":1,"d":null}'
# One case may take this long: each is answered in milliseconds, and a
# close handshake left hanging would take the server's CLOSE_TIMEOUT_S.
CASE_SECONDS = 5.0
# The gateway accepts 120 payloads a minute on one connection (4008 past it).
PAYLOADS_PER_CONNECTION = 100

# How a case was answered, as the prober reports it.
KEPT = "kept"  # the probe after the case was answered
READY = "kept after READY"  # the case identified the connection
INVALID_SESSION = "kept after op 9"  # a RESUME refused without closing
DROPPED = "dropped without a close frame"
NO_CODE = "close without a code"
NO_ANSWER = "no answer"
# A frame that breaks RFC 6455, or a text message that is not UTF-8, makes
# wsproto report 1002 (1007); trio-websocket then ends the TCP connection
# without the close frame the RFC says it SHOULD send, so clients see 1006.
PROTOCOL_ERROR = DROPPED


def closed(code: int) -> str:
    return f"close {code}"


@dataclass(frozen=True)
class Case:
    """Frames to send, and the answer expected (or, a set: any answer of it)."""

    label: str
    frames: Sequence[bytes]
    expected: str | frozenset[str]
    # False when the case leaves a message or a frame unfinished, so that a
    # probe would become part of it; the case must then end the connection.
    probe: bool = True


def text(payload: Any) -> bytes:
    """A text frame of `payload` as JSON (orjson.Fragment for JSON written by hand)."""
    return client_frame(TEXT, orjson.dumps(payload))


def op(number: Any, d: Any = None) -> bytes:
    return text({"op": number, "d": d})


def case(label: str, payload: Any, expected: str) -> Case:
    """A case of one text frame carrying `payload`."""
    return Case(label, [text(payload)], expected)


def fragments(data: bytes, size: int, opcode: int = TEXT) -> list[bytes]:
    """`data` as one message in frames of `size` bytes: the first `opcode`, then continuations."""
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    last = len(pieces) - 1
    return [
        client_frame(opcode if i == 0 else CONTINUATION, piece, fin=i == last)
        for i, piece in enumerate(pieces)
    ]


async def send_quietly(ws: RawWebSocket, frames: Sequence[bytes]) -> None:
    """Send, stopping quietly once the server has ended the connection: its answer counts."""
    for frame in frames:
        try:
            await ws.stream.send_all(frame)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return


async def read_payload(ws: RawWebSocket) -> dict[str, Any]:
    frame = await ws.read_frame()
    assert frame is not None and frame.opcode == TEXT, frame
    return dict(orjson.loads(frame.payload))


async def read_answer(ws: RawWebSocket, nonce: str | None = None) -> str:
    """Read until the server closes or answers the probe: a heartbeat's ACK, or
    (given `nonce`) the GUILD_MEMBERS_CHUNK carrying it."""
    seen = []
    while True:
        frame = await ws.read_frame()
        if frame is None:
            return DROPPED
        if frame.opcode == CLOSE:
            # Not echoed: the caller ends the TCP connection, which ends the
            # server's side of the close handshake as well.
            if len(frame.payload) < 2:
                return NO_CODE
            return closed(struct.unpack("!H", frame.payload[:2])[0])
        if frame.opcode in (PING, PONG):
            continue
        payload = orjson.loads(frame.payload)
        if nonce is None and payload["op"] == 11:
            return seen[0] if seen else KEPT
        if payload["op"] == 0 and payload["t"] == "READY":
            seen.append(READY)
        elif payload["op"] == 9:
            seen.append(INVALID_SESSION)
        elif payload.get("t") == "GUILD_MEMBERS_CHUNK" and payload["d"].get("nonce") == nonce:
            return KEPT


class Prober:
    """Runs cases, each on a fresh connection, or after IDENTIFY when given a token.

    Identifying is the costly part, so identified cases share a connection
    for as long as the server keeps it. Their probe is a REQUEST_GUILD_MEMBERS
    whose chunk carries a nonce of its own, since a heartbeat in the case
    would be answered with an ACK just like the probe's.
    """

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token
        self._ws: RawWebSocket | None = None
        self._sent = 0
        self._probes = 0

    async def _open(self) -> RawWebSocket:
        ws = await RawWebSocket.open(self.url, QUERY)
        assert (await read_payload(ws))["op"] == 10
        self._sent = 0
        if self.token is not None:
            identify = {"token": self.token, "intents": GUILDS, "properties": {"os": "linux"}}
            await ws.send_frame(TEXT, orjson.dumps({"op": 2, "d": identify}))
            self._sent = 1
            while (payload := await read_payload(ws))["t"] != "READY":
                assert payload["op"] == 0, payload
        return ws

    def _probe(self) -> tuple[bytes, str | None]:
        if self.token is None:
            return client_frame(TEXT, HEARTBEAT), None
        self._probes += 1
        nonce = f"probe-{self._probes}"
        return op(8, {"guild_id": "1", "user_ids": ["1"], "nonce": nonce}), nonce

    async def run(self, case: Case) -> str:
        """Send `case` (and a probe); how the server answered."""
        payloads = len(case.frames) + 1
        if self._ws is None or self._sent + payloads > PAYLOADS_PER_CONNECTION:
            await self.close()
            self._ws = await self._open()
        ws = self._ws
        frames = list(case.frames)
        nonce = None
        if case.probe:
            probe, nonce = self._probe()
            frames.append(probe)
        answer = NO_ANSWER
        with trio.move_on_after(CASE_SECONDS):
            # Sent beside the reading: a server refusing a large message stops
            # reading it, and its close frame must be read while sending blocks.
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_quietly, ws, frames)
                answer = await read_answer(ws, nonce)
                nursery.cancel_scope.cancel()
        self._sent += payloads
        if answer != KEPT or self.token is None:
            await self.close()
        return answer

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.aclose()
            self._ws = None


async def run_cases(url: str, cases: Sequence[Case], token: str | None = None) -> None:
    """Run every case; fail listing each one answered otherwise than expected."""
    prober = Prober(url, token)
    wrong = []
    try:
        for each in cases:
            got = await prober.run(each)
            expected = each.expected
            if not (got == expected if isinstance(expected, str) else got in expected):
                wrong.append(f"{each.label}: expected {expected}, got {got}")
    finally:
        await prober.close()
    assert not wrong, f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong)


async def healthy(url: str, hub: Hub, who: Person, caplog: pytest.LogCaptureFixture) -> None:
    """The server serves a fresh client, every connection before let go of its session,
    and nothing was logged at ERROR level or with a traceback."""
    with trio.fail_after(CASE_SECONDS):
        while any(session.transport is not None for session in hub.registry):  # noqa: ASYNC110
            await trio.sleep(0.01)
    await still_serving(url, who)
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, caplog.text[-6000:]


__all__ = [
    "CASE_SECONDS",
    "CONTINUATION",
    "DROPPED",
    "HEARTBEAT",
    "INVALID_SESSION",
    "KEPT",
    "NO_CODE",
    "PROTOCOL_ERROR",
    "QUERY",
    "READY",
    "Case",
    "Prober",
    "case",
    "closed",
    "fragments",
    "healthy",
    "op",
    "read_answer",
    "read_payload",
    "run_cases",
    "text",
]
