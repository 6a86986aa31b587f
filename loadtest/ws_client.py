"""Many WebSocket gateway sessions on one asyncio loop, cheaply enough to load one server.

Each connection is an `asyncio.Protocol` that speaks just enough RFC 6455
(client handshake, masked client frames, unmasked final server frames) and
just enough of the gateway (HELLO, IDENTIFY, heartbeats, READY and
GUILD_CREATE) to hold an identified session. No task per connection and no
JSON parse per dispatch: MESSAGE_CREATE frames are recognised by their
prefix, counted, checked for sequence gaps and, for latency, their nonce is
read as the sender's `time.monotonic_ns()`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import struct
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

MESSAGE_CREATE = b'{"op":0,"t":"MESSAGE_CREATE","s":'
NONCE = b'"nonce":"'
# The first heartbeat comes after a random fraction of the interval, as
# Discord asks, so 10,000 sessions do not beat in lockstep.
HEARTBEAT_JITTER = (0.1, 1.0)


@dataclass
class Counters:
    """What every connection of one group adds to (a group: gateway or plain)."""

    deliveries: int = 0
    seq_errors: int = 0
    heartbeat_acks: int = 0
    closed: int = 0
    latencies_ns: array = field(default_factory=lambda: array("q"))
    # Per message (keyed by its send time): the latency of its slowest delivery.
    slowest_ns: dict[int, int] = field(default_factory=dict)
    record_latency: bool = False
    # Set once `deliveries` reaches `target`.
    target: int = 0
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, target: int) -> None:
        self.target = target
        if self.deliveries >= target:
            self.reached.set()


def mask_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    key = os.urandom(4)
    repeated = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big"
    )
    return head + key + masked


def handshake(host: str, port: int, target: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


class WsProtocol(asyncio.Protocol):
    """A client connection; subclasses handle each server text/binary message."""

    def __init__(self, request: bytes, counters: Counters) -> None:
        self.request = request
        self.counters = counters
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._open = False
        self.deliveries = 0
        self.last_seq = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.counters.closed += 1
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError("closed before the upgrade"))
        self.on_closed()

    def send(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(mask_frame(0x1, payload))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._open and not self._read_upgrade():
            return
        arrived = time.monotonic_ns() if self.counters.record_latency else 0
        at = 0
        end = len(buffer)
        while end - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            size = second & 0x7F
            start = at + 2
            if size == 126:
                if end - at < 4:
                    break
                size = int.from_bytes(buffer[at + 2 : at + 4], "big")
                start = at + 4
            elif size == 127:
                if end - at < 10:
                    break
                size = int.from_bytes(buffer[at + 2 : at + 10], "big")
                start = at + 10
            if end - start < size:
                break
            if not first & 0x80:
                raise ValueError("fragmented server frames are not expected")
            self._frame(first & 0x0F, bytes(buffer[start : start + size]), arrived)
            at = start + size
        del buffer[:at]

    def _read_upgrade(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        status = bytes(self._buffer[:12])
        if not status.startswith(b"HTTP/1.1 101"):
            self.upgraded.set_exception(ConnectionError(f"upgrade refused: {status!r}"))
            assert self.transport is not None
            self.transport.close()
            return False
        del self._buffer[: end + 4]
        self._open = True
        self.upgraded.set_result(None)
        return True

    def _frame(self, opcode: int, payload: bytes, arrived: int) -> None:
        if opcode in (0x1, 0x2):
            if payload.startswith(MESSAGE_CREATE):
                self._delivery(payload, arrived)
            else:
                self.on_message(payload)
        elif opcode == 0x9 and self.transport is not None:
            self.transport.write(mask_frame(0xA, payload))
        elif opcode == 0x8 and self.transport is not None:
            self.transport.close()

    def _delivery(self, payload: bytes, arrived: int) -> None:
        counters = self.counters
        self.deliveries += 1
        counters.deliveries += 1
        if counters.deliveries == counters.target:
            counters.reached.set()
        comma = payload.index(b",", len(MESSAGE_CREATE))
        seq = int(payload[len(MESSAGE_CREATE) : comma])
        if self.last_seq and seq != self.last_seq + 1:
            counters.seq_errors += 1
        self.last_seq = seq
        if arrived:
            at = payload.find(NONCE)
            if at >= 0:
                start = at + len(NONCE)
                sent = int(payload[start : payload.index(b'"', start)])
                latency = arrived - sent
                counters.latencies_ns.append(latency)
                if latency > counters.slowest_ns.get(sent, 0):
                    counters.slowest_ns[sent] = latency

    def on_message(self, payload: bytes) -> None:
        """A text frame that is not a MESSAGE_CREATE dispatch."""

    def on_closed(self) -> None:
        """The connection is gone."""


class GatewaySession(WsProtocol):
    """Identifies with `token`, heartbeats, and is ready once GUILD_CREATE arrives."""

    def __init__(self, request: bytes, counters: Counters, token: str, intents: int) -> None:
        super().__init__(request, counters)
        self.identify = orjson.dumps(
            {
                "op": 2,
                "d": {
                    "token": token,
                    "intents": intents,
                    "properties": {"os": "linux", "browser": "bench", "device": "bench"},
                },
            }
        )
        self.ready = asyncio.get_running_loop().create_future()
        self._heartbeat: asyncio.TimerHandle | None = None
        self._interval = 0.0

    def on_message(self, payload: bytes) -> None:
        message = orjson.loads(payload)
        op = message["op"]
        if op == 0:
            self.last_seq = message["s"]
            if message["t"] == "GUILD_CREATE" and not self.ready.done():
                self.ready.set_result(None)
        elif op == 11:
            self.counters.heartbeat_acks += 1
        elif op == 10:
            self._interval = message["d"]["heartbeat_interval"] / 1000
            self.send(self.identify)
            self._schedule(random.uniform(*HEARTBEAT_JITTER) * self._interval)

    def _schedule(self, delay: float) -> None:
        self._heartbeat = asyncio.get_running_loop().call_later(delay, self._beat)

    def _beat(self) -> None:
        self.send(b'{"op":1,"d":%d}' % self.last_seq if self.last_seq else b'{"op":1,"d":null}')
        self._schedule(self._interval)

    def on_closed(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before GUILD_CREATE"))


async def open_many(
    count: int,
    factory: Callable[[], WsProtocol],
    host: str,
    port: int,
    concurrency: int,
    ready: Callable[[WsProtocol], asyncio.Future[None]],
    within_s: float,
) -> tuple[list[WsProtocol], int]:
    """Open `count` connections, at most `concurrency` at a time until each is ready.

    Returns the ready connections and how many failed: refused, closed, or not
    ready within `within_s` seconds of the start.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    gate = asyncio.Semaphore(concurrency)
    opened: list[WsProtocol] = []
    failures = 0

    async def one() -> None:
        nonlocal failures
        async with gate:
            try:
                async with asyncio.timeout_at(deadline):
                    _, protocol = await loop.create_connection(factory, host, port)
                    await protocol.upgraded
                    await ready(protocol)
                    opened.append(protocol)
            except (OSError, ConnectionError, TimeoutError):
                failures += 1

    await asyncio.gather(*(one() for _ in range(count)))
    return opened, failures
