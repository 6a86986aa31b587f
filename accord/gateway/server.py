"""The gateway's WebSocket server: TCP listener, handshake, query parameters, connections."""

from __future__ import annotations

import logging
from functools import partial
from typing import Final
from urllib.parse import parse_qs, urlsplit

import trio
from trio_websocket import (
    ConnectionClosed,
    WebSocketConnection,
    WebSocketRequest,
    wrap_server_stream,
)

from accord.gateway.compression import ZlibStream
from accord.gateway.connection import CLOSE_TIMEOUT_S, Connection
from accord.gateway.frames import MAX_CLIENT_PAYLOAD_BYTES
from accord.gateway.hub import Hub
from accord.gateway.identify import API_VERSION
from accord.gateway.outbox import Outbox, OutboxStream, Transport
from accord.gateway.protocol import CloseCode
from accord.metrics import CONTENT_TYPE, render

log = logging.getLogger("accord.gateway")

# A client has this long to complete the WebSocket handshake.
HANDSHAKE_TIMEOUT_S: Final = 10.0
# trio-websocket refuses (close 1009) messages past this; between Discord's
# 4096-byte payload limit and this, our own check closes with 4002 instead.
MAX_MESSAGE_BYTES: Final = 4 * MAX_CLIENT_PAYLOAD_BYTES
# Messages trio-websocket may queue before it stops reading the socket.
MESSAGE_QUEUE: Final = 4


# zstd-stream is not spoken here; a client asking for it gets plain text
# frames, which every client reads (compression only ever applies to binary
# frames), rather than a refusal that would leave it unable to connect.
_COMPRESSIONS: Final = frozenset({None, "zlib-stream", "zstd-stream"})


# A gateway process has no REST app, so its port also answers Prometheus:
# a connection whose first bytes are this request gets the metrics, not a
# WebSocket handshake.
METRICS_REQUEST: Final = b"GET /metrics "
FIRST_READ_BYTES: Final = 4096


def _metrics_response() -> bytes:
    body = render()
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


class UnsupportedQuery(Exception):
    """The connect URL asks for a version, encoding or compression we do not speak."""


def parse_query(target: str) -> bool:
    """Validate `?v=10&encoding=json&compress=zlib-stream`; True if zlib-stream was asked for."""
    query = parse_qs(urlsplit(target).query)
    version = query.get("v", [str(API_VERSION)])[-1]
    if version != str(API_VERSION):
        raise UnsupportedQuery(f"API version {version!r} is not supported; use v={API_VERSION}")
    encoding = query.get("encoding", ["json"])[-1]
    if encoding != "json":
        raise UnsupportedQuery(f"encoding {encoding!r} is not supported; use encoding=json")
    compress = query.get("compress", [None])[-1]
    if compress not in _COMPRESSIONS:
        raise UnsupportedQuery(f"compress={compress!r} is not supported; use zlib-stream")
    return compress == "zlib-stream"


async def _handle(hub: Hub, stream: trio.SocketStream) -> None:
    """One connection's nursery: trio-websocket's reader, our writer, and the receiver here."""
    if hub.draining:
        await stream.aclose()  # stopping: the client reconnects to another gateway
        return
    outbox = Outbox(stream)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(outbox.run)
            accepted = None
            with trio.move_on_after(HANDSHAKE_TIMEOUT_S):
                try:
                    accepted = await _open(nursery, stream, outbox)
                except (trio.BrokenResourceError, ConnectionClosed) as exc:
                    # The client went away mid-handshake (a reset, say). Left
                    # uncaught this would end serve_listeners: every connection.
                    log.debug("gateway handshake abandoned: %r", exc)
            if accepted is not None:
                await Connection(hub, *accepted).serve()
            nursery.cancel_scope.cancel()
    finally:
        outbox.abort()


async def _open(
    nursery: trio.Nursery, stream: trio.SocketStream, outbox: Outbox
) -> tuple[WebSocketConnection, Transport] | None:
    """Answer /metrics, or complete the WebSocket handshake; None if no connection follows."""
    first = await stream.receive_some(FIRST_READ_BYTES)
    if first.startswith(METRICS_REQUEST):
        await outbox.send_all(_metrics_response())
        return None
    request = await wrap_server_stream(
        nursery,
        OutboxStream(stream, outbox, first),
        message_queue_size=MESSAGE_QUEUE,
        max_message_size=MAX_MESSAGE_BYTES,
    )
    return await _accept(request, outbox)


async def _accept(
    request: WebSocketRequest, outbox: Outbox
) -> tuple[WebSocketConnection, Transport] | None:
    """Complete the handshake; None if the query was refused (the socket is closed with 4012)."""
    try:
        zlib = parse_query(request.path)
    except UnsupportedQuery as exc:
        ws = await request.accept()
        with trio.move_on_after(CLOSE_TIMEOUT_S):
            await ws.aclose(int(CloseCode.INVALID_API_VERSION), str(exc))
        return None
    ws = await request.accept()
    return ws, Transport(outbox, ZlibStream() if zlib else None)


async def serve_gateway(
    hub: Hub,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Accept gateway connections until cancelled; reports the bound port."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound = listeners[0].socket.getsockname()[1]
    log.info("gateway listening on %s:%s", host, bound)
    async with trio.open_nursery() as nursery:
        await nursery.start(hub.run)
        await nursery.start(partial(trio.serve_listeners, partial(_handle, hub), listeners))
        task_status.started(bound)
