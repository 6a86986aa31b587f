"""One client connection's protocol: the receiver and its heartbeat watchdog.

The receiver reads client payloads and runs each through the opcode table.
The watchdog is the receiver's cancel scope, whose deadline every heartbeat
pushes back; when it passes, the connection closes with 4009. The hub
cancels it too when it ends the session from outside (its login ended:
4004), through the transport's close handler. (The writer
that drains the outbox runs beside it in the connection's nursery, see
`server`.) Whatever ends the connection, the session is detached
(resumable) or ended, and the close is bounded in time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection

from accord.gateway.frames import HEARTBEAT_ACK, decode_client_payload, encode_hello
from accord.gateway.frames import encode_invalid_session as invalid_session
from accord.gateway.hub import Hub, ResumeRefused
from accord.gateway.identify import parse_identify, parse_resume, parse_status
from accord.gateway.limits import PayloadLimiter
from accord.gateway.member_chunks import parse_members_request
from accord.gateway.outbox import Transport
from accord.gateway.protocol import CloseCode, GatewayError, Opcode
from accord.gateway.session import Session

log = logging.getLogger("accord.gateway")

# A heartbeat may come this much later than the interval before the
# connection counts as dead: clients jitter the first beat and networks lag.
HEARTBEAT_GRACE: Final = 1.5
# How long a close handshake may take before the socket is simply dropped.
CLOSE_TIMEOUT_S: Final = 2.0
# Client close codes that end the session; any other close keeps it
# resumable (Discord's rule; clients close with 4000 to resume later).
_ENDING_CLOSES: Final = frozenset({1000, 1001})

Handler = Callable[["Connection", Any], Awaitable[None]]


class Connection:
    def __init__(self, hub: Hub, ws: WebSocketConnection, transport: Transport) -> None:
        self._hub = hub
        self._ws = ws
        self._transport = transport
        self._limiter = PayloadLimiter(trio.current_time)
        self._interval_s = hub.config.heartbeat_interval_ms / 1000
        self._watchdog = trio.CancelScope()
        # Why the hub asked this connection to close, if it did.
        self._close_request: tuple[CloseCode, str] | None = None
        transport.close_handler = self._request_close
        self.session: Session | None = None

    def _request_close(self, code: int, reason: str) -> None:
        """Stop receiving and close with `code` (called by the hub, never awaits)."""
        if self._close_request is None:
            self._close_request = (CloseCode(code), reason)
        self._watchdog.cancel()

    async def serve(self) -> None:
        """Run the connection until either side ends it."""
        self._transport.send(encode_hello(self._hub.config.heartbeat_interval_ms))
        close: tuple[CloseCode, str] | None = None
        client_code: int | None = None
        self._watchdog.deadline = trio.current_time() + self._interval_s * HEARTBEAT_GRACE
        with self._watchdog:
            try:
                client_code = await self._receive()
            except GatewayError as exc:
                close = (exc.close_code, exc.reason)
            except Exception:
                # The boundary of one connection: log, close it, keep serving the rest.
                log.exception("gateway connection failed")
                close = (CloseCode.UNKNOWN_ERROR, "internal error")
        if self._watchdog.cancelled_caught:
            close = self._close_request or (CloseCode.SESSION_TIMED_OUT, "heartbeat overdue")
        if close is not None:
            await self._close(*close)
        await self._finish(close[0].resumable if close else client_code not in _ENDING_CLOSES)

    async def _receive(self) -> int | None:
        """Handle payloads until the peer closes; returns the client's close code."""
        while True:
            try:
                raw = await self._ws.get_message()
            except ConnectionClosed as exc:
                return None if exc.reason is None else exc.reason.code
            payload = decode_client_payload(raw)
            code = self._limiter.check()
            if code is not None:
                raise GatewayError(code, "more than 120 payloads in 60 seconds")
            await _HANDLERS[payload.op](self, payload.d)

    async def _close(self, code: CloseCode, reason: str) -> None:
        self._transport.sending = False
        with trio.move_on_after(CLOSE_TIMEOUT_S):
            await self._ws.aclose(int(code), reason)
        self._transport.abort()

    async def _finish(self, resumable: bool) -> None:
        self._transport.abort()
        session = self.session
        if session is None:
            return
        if resumable:
            self._hub.detach(session, self._transport)
        elif session.transport is self._transport:
            with trio.move_on_after(CLOSE_TIMEOUT_S) as scope:
                scope.shield = True
                await self._hub.end(session)

    def _require_session(self) -> Session:
        if self.session is None:
            raise GatewayError(CloseCode.NOT_AUTHENTICATED, "IDENTIFY first")
        return self.session

    async def _on_heartbeat(self, d: object) -> None:
        self._watchdog.deadline = trio.current_time() + self._interval_s * HEARTBEAT_GRACE
        self._transport.send(HEARTBEAT_ACK)
        if self.session is not None and isinstance(d, int) and not isinstance(d, bool):
            self.session.buffer.acknowledge(d)

    async def _on_identify(self, d: object) -> None:
        if self.session is not None:
            raise GatewayError(CloseCode.ALREADY_AUTHENTICATED, "already identified")
        self.session = await self._hub.identify(parse_identify(d), self._transport)

    async def _on_resume(self, d: object) -> None:
        if self.session is not None:
            raise GatewayError(CloseCode.ALREADY_AUTHENTICATED, "already identified")
        try:
            self.session = await self._hub.resume(parse_resume(d), self._transport)
        except ResumeRefused as exc:
            log.info("resume refused: %s", exc)
            self._transport.send(invalid_session(False))

    async def _on_presence(self, d: object) -> None:
        session = self._require_session()
        if not isinstance(d, dict):
            raise GatewayError(CloseCode.DECODE_ERROR, "PRESENCE_UPDATE needs an object in 'd'")
        await self._hub.set_status(session, parse_status(d.get("status")))

    async def _on_request_members(self, d: object) -> None:
        session = self._require_session()
        await self._hub.request_members(session, parse_members_request(d))

    async def _on_voice_state(self, d: object) -> None:
        self._require_session()  # no voice here; accepted and ignored, as a voiceless guild would


_HANDLERS: Final[dict[Opcode, Handler]] = {
    Opcode.HEARTBEAT: Connection._on_heartbeat,
    Opcode.IDENTIFY: Connection._on_identify,
    Opcode.RESUME: Connection._on_resume,
    Opcode.PRESENCE_UPDATE: Connection._on_presence,
    Opcode.REQUEST_GUILD_MEMBERS: Connection._on_request_members,
    Opcode.VOICE_STATE_UPDATE: Connection._on_voice_state,
}
