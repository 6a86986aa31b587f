"""A raw gateway client for the e2e tests: trio-websocket, JSON, optional zlib-stream."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

ZLIB_SUFFIX = b"\x00\x00\xff\xff"
# Intents that need no approval plus MESSAGE_CONTENT etc. for user accounts.
ALL_INTENTS = (1 << 26) - 1 & ~((1 << 17) | (1 << 18) | (1 << 19) | (1 << 22) | (1 << 23))


@dataclass
class GatewayClient:
    ws: WebSocketConnection
    compressed: bool = False
    _inflator: Any = field(default_factory=zlib.decompressobj)
    _buffer: bytearray = field(default_factory=bytearray)
    seq: int | None = None
    session_id: str | None = None
    dispatches: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        """The next payload; tracks `s` and records dispatches."""
        while True:
            raw = await self.ws.get_message()
            if self.compressed:
                assert isinstance(raw, bytes), "zlib-stream frames must be binary"
                self._buffer.extend(raw)
                if not self._buffer.endswith(ZLIB_SUFFIX):
                    continue
                raw = self._inflator.decompress(bytes(self._buffer))
                self._buffer.clear()
            payload = orjson.loads(raw)
            if payload["op"] == 0:
                if payload["t"] != "RESUMED":
                    self.dispatches.append(payload)
                    self.seq = payload["s"]
                if payload["t"] == "READY":
                    self.session_id = payload["d"]["session_id"]
            return dict(payload)

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_message(orjson.dumps({"op": op, "d": d}).decode())

    async def hello(self) -> dict[str, Any]:
        payload = await self.receive()
        assert payload["op"] == 10, payload
        return payload

    async def identify(self, token: str, intents: int | None = ALL_INTENTS, **extra: Any):
        d: dict[str, Any] = {"token": token, "properties": {"os": "linux"}, **extra}
        if intents is not None:
            d["intents"] = intents
        await self.send(2, d)
        return await self.wait_for("READY")

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
        from trio_websocket import ConnectionClosed

        try:
            while True:
                await self.receive()
        except ConnectionClosed as exc:
            return None if exc.reason is None else exc.reason.code


@asynccontextmanager
async def connect(url: str, *, query: str = "?v=10&encoding=json", compress: bool = False):
    if compress:
        query += "&compress=zlib-stream"
    async with open_websocket_url(url.rstrip("/") + "/" + query) as ws:
        yield GatewayClient(ws, compressed=compress)


__all__ = ["ALL_INTENTS", "GatewayClient", "connect", "trio"]
