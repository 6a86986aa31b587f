"""A minimal HTTP/1.1 keep-alive client for load generation.

httpx spends about as much CPU per request as the server does on a bare
endpoint, so on a 2-core machine it competes with what it measures. This
client writes pre-built request bytes and reads each response by its
Content-Length, which is all a benchmark of our own server needs; anything
else (chunked bodies, a closed connection) is an error, not a guess.
"""

from __future__ import annotations

import trio

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"
_READ_SIZE = 65536


class ProtocolError(Exception):
    """The server answered something this client does not read."""


def build_request(
    method: str, path: str, host: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; requests go one at a time."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self._stream = stream
        self._buffer = bytearray()

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(await trio.open_tcp_stream(host, port))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request built by ``build_request``; the response's status and body."""
        await self._stream.send_all(raw)
        buffer = self._buffer
        while (end := buffer.find(_HEAD_END)) < 0:
            await self._fill()
        head = bytes(buffer[:end]).lower()
        status = int(head[9:12])
        at = head.find(_CONTENT_LENGTH)
        if at < 0:
            raise ProtocolError(f"no Content-Length in a {status} response")
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + len(_CONTENT_LENGTH) : line_end if line_end > 0 else None])
        total = end + len(_HEAD_END) + length
        while len(buffer) < total:
            await self._fill()
        body = bytes(buffer[end + len(_HEAD_END) : total])
        del buffer[:total]
        return status, body

    async def _fill(self) -> None:
        data = await self._stream.receive_some(_READ_SIZE)
        if not data:
            raise ProtocolError("the server closed the connection")
        self._buffer += data
