"""A minimal WebSocket client over a raw TCP socket, for tests that must see every frame byte.

It sends masked frames of its own choosing (pings among them) and parses
what the server sends strictly by RFC 6455 section 5.2, so a frame header
that is not where it should be (a control frame written into the middle of
a data frame) shows up as a malformed frame instead of being smoothed over.
The receive buffer can be made small so the server's writes back up.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

import trio

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class MalformedFrame(AssertionError):
    """The server's byte stream is not a sequence of valid frames."""


@dataclass(frozen=True)
class Frame:
    opcode: int
    payload: bytes


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
    length: int | None = None,
) -> bytes:
    """A client frame's bytes; the keywords build illegal ones (a fragment, RSV bits, no mask,
    a header announcing `length` bytes whatever the payload's own length)."""
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header = struct.pack("!BB", first, mask_bit | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    # XOR as one big integer: a per-byte loop takes a second per megabyte.
    keys = (mask * (len(payload) // 4 + 1))[: len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")
    return header + mask + masked.to_bytes(len(payload), "big")


class RawWebSocket:
    def __init__(self, stream: trio.SocketStream, read_size: int) -> None:
        self.stream = stream
        self._buffer = bytearray()
        self._read_size = read_size
        self.eof = False

    @classmethod
    async def open(
        cls, url: str, resource: str = "/?v=10&encoding=json", *, receive_buffer: int = 0
    ) -> RawWebSocket:
        """Connect and complete the opening handshake; `receive_buffer` sets SO_RCVBUF first."""
        parts = urlsplit(url)
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Before connect, so the advertised window is small from the start.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        await sock.connect((parts.hostname, parts.port))
        client = cls(trio.SocketStream(sock), read_size=max(receive_buffer // 4, 256) or 65536)
        key = base64.b64encode(os.urandom(16))
        await client.stream.send_all(
            b"GET %b HTTP/1.1\r\nHost: %b:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %b\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (resource.encode(), parts.hostname.encode(), parts.port, key)
        )
        head = await client._read_until(b"\r\n\r\n")
        status, *headers = head.decode("latin-1").split("\r\n")
        assert status.startswith("HTTP/1.1 101"), status
        fields = dict(h.split(":", 1) for h in headers)
        fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        assert fields.get("sec-websocket-accept") == accept, headers
        return client

    async def _fill(self) -> bool:
        if self.eof:
            return False
        try:
            data = await self.stream.receive_some(self._read_size)
        except trio.BrokenResourceError:
            data = b""
        if not data:
            self.eof = True
            return False
        self._buffer.extend(data)
        return True

    async def _read_until(self, marker: bytes) -> bytes:
        while (end := self._buffer.find(marker)) < 0:
            if not await self._fill():
                raise EOFError("connection closed during the handshake")
        head = bytes(self._buffer[:end])
        del self._buffer[: end + len(marker)]
        return head

    async def _read_exactly(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            if not await self._fill():
                return None
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def send_frame(self, opcode: int, payload: bytes) -> None:
        """One final, masked client frame."""
        await self.stream.send_all(client_frame(opcode, payload))

    async def send_text(self, text: str) -> None:
        await self.send_frame(TEXT, text.encode())

    async def read_frame(self) -> Frame | None:
        """The next frame, checked strictly; None at a clean end of stream (or a cut frame)."""
        head = await self._read_exactly(2)
        if head is None:
            return None
        first, second = head
        fin, rsv, opcode = first & 0x80, first & 0x70, first & 0x0F
        masked, size = second & 0x80, second & 0x7F
        if rsv or masked or opcode not in (TEXT, BINARY, CLOSE, PING, PONG):
            raise MalformedFrame(f"bad frame header {head.hex()}")
        if not fin:
            raise MalformedFrame("the gateway never fragments, yet FIN is clear")
        if opcode >= CLOSE and size > 125:
            raise MalformedFrame(f"control frame {opcode:#x} of {size} bytes")
        if size == 126:
            extended = await self._read_exactly(2)
            if extended is None:
                return None
            (size,) = struct.unpack("!H", extended)
        elif size == 127:
            extended = await self._read_exactly(8)
            if extended is None:
                return None
            (size,) = struct.unpack("!Q", extended)
            if size >> 63 or size > 1 << 24:
                raise MalformedFrame(f"implausible frame length {size}")
        payload = await self._read_exactly(size)
        if payload is None:
            return None
        return Frame(opcode, payload)

    async def aclose(self) -> None:
        await self.stream.aclose()
