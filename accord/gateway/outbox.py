"""The send path: every byte a gateway connection writes goes through its Outbox.

A fan-out writes each session's frame straight to the socket with one
non-blocking write when nothing is queued before it (the common case), and
queues what the kernel does not take for the connection's writer task, which
waits for the socket to drain. trio-websocket's own writes (the handshake
answer, pongs, the close frame) reach the same queue whole through
`OutboxStream.send_all`, so a control frame can never land inside a data frame.

Inside `coalesced_writes()` (the fan-out delivering a burst of events that
were already waiting) writes are held and each connection's go out together
when it ends: one write per connection for the burst, not one per event.

Budget: at most `MAX_PENDING_BYTES` may wait in user space, held or queued.
Past it the client is too slow to keep up and the socket is closed at once;
the session keeps collecting dispatches and the client can RESUME.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Final

import trio

from accord.gateway.compression import ZlibStream

log = logging.getLogger("accord.gateway")

# About 1,000 ordinary message dispatches beyond what the kernel's send
# buffer already holds: a client this far behind is not reading.
MAX_PENDING_BYTES: Final = 1024 * 1024
# Chunks handed to one writev call; Linux accepts up to 1024.
_WRITEV_CHUNKS: Final = 64


def websocket_frame(payload: bytes, *, binary: bool) -> bytes:
    """One final, unmasked server frame (RFC 6455 section 5.2) carrying `payload`."""
    first = 0x82 if binary else 0x81
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


class _Coalescing(threading.local):
    """Whether writes are being held, and the outboxes holding some (per thread: each
    thread runs its own Trio loop and writes only its own sockets)."""

    def __init__(self) -> None:
        self.on = False
        self.holders: list[Outbox] = []


# The region is synchronous, so only the code inside it writes while it is open.
_COALESCING = _Coalescing()


@contextmanager
def coalesced_writes() -> Iterator[None]:
    """Hold every write made inside (which must not await); flush each outbox once at the end."""
    state = _COALESCING
    if state.on:
        yield  # nested: the outer region flushes
        return
    state.on = True
    try:
        yield
    finally:
        state.on = False
        holders, state.holders = state.holders, []
        for outbox in holders:
            try:
                outbox.flush_held()
            except Exception:
                # Never left holding: later writes would overtake what it held.
                log.exception("a held write failed; its connection is closed")
                outbox.abort()


class Outbox:
    """The single writer of one socket; see the module docstring for the policy."""

    __slots__ = (
        "_drained",
        "_fd",
        "_held",
        "_max_pending",
        "_pending",
        "_pending_bytes",
        "_queued",
        "_ready",
        "_stream",
        "_written",
        "closed",
    )

    def __init__(self, stream: trio.SocketStream, max_pending: int = MAX_PENDING_BYTES) -> None:
        self._stream = stream
        self._fd = stream.socket.fileno()
        self._max_pending = max_pending
        self._pending: deque[bytes | memoryview] = deque()
        self._pending_bytes = 0  # queued or held
        self._held: list[bytes] | None = None  # written inside coalesced_writes()
        self._queued = 0  # bytes ever accepted
        self._written = 0  # bytes ever written to the kernel
        self._ready = trio.lowlevel.ParkingLot()
        self._drained = trio.lowlevel.ParkingLot()
        self.closed = False

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    def write_nowait(self, data: bytes) -> bool:
        """Write or queue `data`; False if the socket is closed or was just closed for overflow."""
        if self.closed:
            return False
        self._queued += len(data)
        if _COALESCING.on:
            return self._hold(data)
        if not self._pending:
            try:
                sent = os.write(self._fd, data)
            except BlockingIOError:
                sent = 0
            except OSError:
                self.abort()
                return False
            self._written += sent
            if sent == len(data):
                return True
            data = memoryview(data)[sent:]  # type: ignore[assignment]
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes > self._max_pending:
            self.abort()
            return False
        self._ready.unpark()
        return True

    def _hold(self, data: bytes) -> bool:
        if self._held is None:
            self._held = []
            _COALESCING.holders.append(self)
        self._held.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes > self._max_pending:
            self.abort()
            return False
        return True

    def flush_held(self) -> None:
        """Write what was held, behind anything already queued."""
        held, self._held = self._held, None
        if not held or self.closed:
            return
        idle = not self._pending
        self._pending.extend(held)  # counted in _pending_bytes when held
        if idle and not self._write_pending():
            return
        if self._pending:
            self._ready.unpark()

    async def send_all(self, data: bytes) -> None:
        """Queue `data` behind what is pending and wait until the kernel has it."""
        await trio.lowlevel.checkpoint()
        if not self.write_nowait(data):
            raise trio.BrokenResourceError("connection closed")
        target = self._queued
        while self._written < target:
            if self.closed:
                raise trio.BrokenResourceError("connection closed")
            await self._drained.park()

    def abort(self) -> None:
        """Close the socket now, discarding what is queued (the replay buffer still has it)."""
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        self._held = None
        self._pending_bytes = 0
        self._stream.socket.close()
        self._ready.unpark_all()
        self._drained.unpark_all()

    async def run(self) -> None:
        """The writer task: drain the queue whenever the socket can take more."""
        try:
            while not self.closed:
                if not self._pending:
                    await self._ready.park()
                    continue
                if not self._write_pending():
                    return
                if self._pending:
                    await trio.lowlevel.wait_writable(self._fd)
        except trio.ClosedResourceError:
            self.abort()

    def _write_pending(self) -> bool:
        """One writev of the queue's head; False if that closed the socket."""
        try:
            sent = os.writev(self._fd, list(islice(self._pending, _WRITEV_CHUNKS)))
        except BlockingIOError:
            sent = 0
        except OSError:
            self.abort()
            return False
        self._consume(sent)
        return True

    def _consume(self, sent: int) -> None:
        self._written += sent
        self._pending_bytes -= sent
        while sent:
            head = self._pending[0]
            if len(head) <= sent:
                sent -= len(head)
                self._pending.popleft()
            else:
                self._pending[0] = memoryview(head)[sent:]
                sent = 0
        self._drained.unpark_all()


class OutboxStream(trio.abc.Stream):
    """The stream trio-websocket is given: reads from the socket, writes through the Outbox."""

    def __init__(self, stream: trio.SocketStream, outbox: Outbox, first: bytes = b"") -> None:
        self._stream = stream
        self.outbox = outbox
        self._first = first  # bytes already read off the socket, handed out first

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.outbox.send_all(bytes(data))

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._first:
            await trio.lowlevel.checkpoint()
            limit = len(self._first) if max_bytes is None else max_bytes
            data, self._first = self._first[:limit], self._first[limit:]
            return data
        return await self._stream.receive_some(max_bytes)

    async def aclose(self) -> None:
        self.outbox.abort()
        await trio.lowlevel.checkpoint()


class Transport:
    """Turns gateway payloads into WebSocket frames for one connection (zlib-stream or text)."""

    __slots__ = ("_zlib", "close_handler", "outbox", "sending")

    def __init__(self, outbox: Outbox, zlib_stream: ZlibStream | None) -> None:
        self.outbox = outbox
        self._zlib = zlib_stream
        # False once the close frame is on its way: nothing may follow it.
        self.sending = True
        # Set by the connection using this transport: closes it with a code.
        self.close_handler: Callable[[int, str], None] | None = None

    def send(self, payload: bytes) -> bool:
        """Frame and write one payload; False if the connection can take no more."""
        if not self.sending:
            return False
        if self._zlib is None:
            return self.outbox.write_nowait(websocket_frame(payload, binary=False))
        return self.outbox.write_nowait(websocket_frame(self._zlib.compress(payload), binary=True))

    def abort(self) -> None:
        self.sending = False
        self.outbox.abort()

    def close(self, code: int, reason: str) -> None:
        """Send nothing more and have the connection close with `code` (abort if none can)."""
        self.sending = False
        if self.close_handler is None:
            self.outbox.abort()
        else:
            self.close_handler(code, reason)
