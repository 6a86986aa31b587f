"""A raw gateway client for the e2e tests: trio-websocket, JSON, optional zlib-stream."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_client_stream

ZLIB_SUFFIX = b"\x00\x00\xff\xff"
# Intents that need no approval plus MESSAGE_CONTENT etc. for user accounts.
ALL_INTENTS = (1 << 26) - 1 & ~((1 << 17) | (1 << 18) | (1 << 19) | (1 << 22) | (1 << 23))


@dataclass
class GatewayClient:
    ws: WebSocketConnection
    stream: trio.SocketStream | None = None
    compressed: bool = False
    _inflator: Any = field(default_factory=zlib.decompressobj)
    _buffer: bytearray = field(default_factory=bytearray)
    seq: int | None = None
    session_id: str | None = None
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    # Every payload received, in order (dispatches, acks, op 7, op 9 ...).
    payloads: list[dict[str, Any]] = field(default_factory=list)
    # Raw WebSocket messages as they arrived (before decompression).
    raw_frames: list[str | bytes] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        """The next payload; tracks `s` and records dispatches."""
        while True:
            raw = await self.ws.get_message()
            self.raw_frames.append(raw)
            if self.compressed:
                assert isinstance(raw, bytes), "zlib-stream frames must be binary"
                self._buffer.extend(raw)
                if not self._buffer.endswith(ZLIB_SUFFIX):
                    continue
                raw = self._inflator.decompress(bytes(self._buffer))
                self._buffer.clear()
            payload = dict(orjson.loads(raw))
            self.payloads.append(payload)
            if payload["op"] == 0:
                if payload["t"] != "RESUMED":
                    self.dispatches.append(payload)
                    self.seq = payload["s"]
                if payload["t"] == "READY":
                    self.session_id = payload["d"]["session_id"]
            return payload

    async def send(self, op: int, d: Any) -> None:
        await self.send_raw(orjson.dumps({"op": op, "d": d}).decode())

    async def send_raw(self, message: str | bytes) -> None:
        await self.ws.send_message(message)

    async def hello(self) -> dict[str, Any]:
        payload = await self.receive()
        assert payload["op"] == 10, payload
        return payload

    async def identify(self, token: str, intents: int | None = ALL_INTENTS, **extra: Any):
        await self.send_identify(token, intents, **extra)
        return await self.wait_for("READY")

    async def send_identify(self, token: str, intents: int | None = ALL_INTENTS, **extra: Any):
        d: dict[str, Any] = {"token": token, "properties": {"os": "linux"}, **extra}
        if intents is not None:
            d["intents"] = intents
        await self.send(2, d)

    async def resume(self, token: str, session_id: str, seq: int) -> None:
        await self.send(6, {"token": token, "session_id": session_id, "seq": seq})

    async def wait_for(
        self, event: str, check: Callable[[dict[str, Any]], bool] = lambda d: True
    ) -> dict[str, Any]:
        """Skip payloads until dispatch `event` whose `d` passes `check`."""
        while True:
            payload = await self.receive()
            if payload["op"] == 0 and payload["t"] == event and check(payload["d"]):
                return payload

    async def wait_op(self, op: int) -> dict[str, Any]:
        while True:
            payload = await self.receive()
            if payload["op"] == op:
                return payload

    async def close_code(self) -> int | None:
        """Read until the server closes; the close code it sent."""
        try:
            while True:
                await self.receive()
        except ConnectionClosed as exc:
            return None if exc.reason is None else exc.reason.code

    def events(self, event: str) -> list[dict[str, Any]]:
        """The `d` of every dispatch `event` received so far."""
        return [p["d"] for p in self.dispatches if p["t"] == event]

    async def abort(self) -> None:
        """Drop the TCP connection without a close handshake (a network failure)."""
        assert self.stream is not None
        await self.stream.aclose()


@asynccontextmanager
async def connect(url: str, *, query: str = "?v=10&encoding=json", compress: bool = False):
    """A connected client; the TCP stream is kept so a test can abort it."""
    if compress:
        query += "&compress=zlib-stream"
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    stream = await trio.open_tcp_stream(parts.hostname, parts.port)
    async with trio.open_nursery() as nursery:
        ws = await wrap_client_stream(
            nursery, stream, parts.hostname, "/" + query, message_queue_size=64
        )
        try:
            yield GatewayClient(ws, stream, compressed=compress)
        finally:
            with trio.move_on_after(1) as scope:
                scope.shield = True
                await ws.aclose()
            nursery.cancel_scope.cancel()


__all__ = ["ALL_INTENTS", "GatewayClient", "connect", "trio"]
