"""Keep-alive connections stay usable whatever the previous request was."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
import trio

BODY = b'{"messages": []}'


async def _read_response(stream: trio.SocketStream) -> bytes:
    """The status line of one complete response (headers and Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        assert chunk, "server closed the connection"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += await stream.receive_some(65536)
    return head.split(b"\r\n")[0]


@pytest.mark.parametrize("method", ["POST", "QUERY", "OPTIONS", "TRACE"])
async def test_late_body_then_next_request_is_answered(api: httpx.AsyncClient, method: str):
    """A body still arriving when the server could already answer (401, 405, OPTIONS)."""
    port = urlsplit(str(api.base_url)).port
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(
            f"{method} /api/v10/channels/0/messages/bulk-delete HTTP/1.1\r\nHost: t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
        )
        with trio.move_on_after(0.3):
            # The server must not answer a request it has not finished receiving.
            early = await stream.receive_some(65536)
            pytest.fail(f"answered before the body arrived: {early[:40]!r}")
        await stream.send_all(BODY)
        with trio.fail_after(5):
            first = await _read_response(stream)
            await stream.send_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            second = await _read_response(stream)
    assert first.split()[1] in (b"200", b"401", b"405")
    assert second.split()[1] == b"200"
