"""Clients that reset the TCP connection before or during the handshake; the server serves on."""

from __future__ import annotations

import base64
import os
import socket
import struct

import trio

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import person, still_serving

_HANDSHAKE = (
    b"GET /?v=10&encoding=json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: %b\r\nSec-WebSocket-Version: 13\r\n\r\n"
    % base64.b64encode(os.urandom(16))
)


async def _reset(port: int, sent: bytes) -> None:
    """Connect, send `sent`, then abort with an RST (SO_LINGER 0) rather than a FIN."""
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    await sock.connect(("127.0.0.1", port))
    if sent:
        await sock.send(sent)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@bounded
async def test_a_reset_before_or_during_the_handshake_leaves_the_server_serving(api, gateway):
    alice = await person(api, "alice")
    port = int(gateway.url.rsplit(":", 1)[1])
    for sent in [b"", b"GET / HTTP/1.1\r\n", _HANDSHAKE, b"GET /metrics HTTP/1.1\r\n\r\n"]:
        await _reset(port, sent)
        # Give the server's side of the connection time to meet the reset.
        await trio.sleep(0.1)
        await still_serving(gateway.url, alice)
