"""The client side of the resume-under-chaos benchmark: sessions that drop and RESUME.

Runs inside the client process (loadtest/gateway_clients.py). Each session
outlives its TCP connections: it identifies once, then every connection
after a drop RESUMEs with the last sequence number it received. Drops come
from here (the socket aborted without a close frame, or a resumable 4000
close) or from the server (op 7, which the session answers with a 4000 close
and a RESUME). Every dispatch is parsed; a session records the nonce of each
MESSAGE_CREATE in the order it arrived, and counts any `s` that is not the
previous one + 1. The benchmark posts messages whose nonces are 0, 1, 2, ...
one at a time, so a session's record must read exactly 0, 1, 2, ...
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from ws_client import Counters, WsProtocol, handshake, mask_frame

# A dropped session reconnects after a random pause up to this long, so the
# traffic it missed piles up in its replay buffer first.
RECONNECT_PAUSE_S = 0.05
DROP_KINDS = ("abort", "close4000")


@dataclass
class ChaosSession:
    token: str
    intents: int
    drops: dict[str, int]  # by kind, shared by every session of the run
    session_id: str | None = None
    seq: int = 0
    nonces: list[int] = field(default_factory=list)
    seq_errors: int = 0
    invalid_sessions: int = 0
    resumes: int = 0
    connection: ChaosConnection | None = None
    # Set while a connection is identified or resumed and not being dropped.
    live: asyncio.Event = field(default_factory=asyncio.Event)


class ChaosConnection(WsProtocol):
    """One connection of a ChaosSession: IDENTIFY (first) or RESUME, heartbeats, records."""

    def __init__(self, request: bytes, counters: Counters, session: ChaosSession) -> None:
        super().__init__(request, counters)
        self.session = session
        self._heartbeat: asyncio.TimerHandle | None = None
        self._interval = 0.0
        self.dropped = False
        self.closed = asyncio.get_running_loop().create_future()
        # Nobody awaits the upgrade of a reconnection: its failure shows as a close.
        self.upgraded.add_done_callback(lambda f: f.cancelled() or f.exception())

    def _frame(self, opcode: int, payload: bytes, arrived: int) -> None:
        if opcode == 0x1:
            self._text(orjson.loads(payload))
        else:
            super()._frame(opcode, payload, arrived)

    def _text(self, message: dict[str, Any]) -> None:
        session, op = self.session, message["op"]
        if op == 0:
            kind = message["t"]
            if kind == "RESUMED":
                session.resumes += 1
                session.live.set()
                return
            if message["s"] != session.seq + 1:
                session.seq_errors += 1
            session.seq = message["s"]
            if kind == "READY":
                session.session_id = message["d"]["session_id"]
            elif kind == "GUILD_CREATE":
                session.live.set()
            elif kind == "MESSAGE_CREATE":
                nonce = message["d"].get("nonce")
                if isinstance(nonce, str) and nonce.isdigit():
                    session.nonces.append(int(nonce))
        elif op == 10:
            self._interval = message["d"]["heartbeat_interval"] / 1000
            if session.session_id is None:
                properties = {"os": "linux", "browser": "bench", "device": "bench"}
                d = {"token": session.token, "intents": session.intents, "properties": properties}
                self.send(orjson.dumps({"op": 2, "d": d}))
            else:
                d = {"token": session.token, "session_id": session.session_id, "seq": session.seq}
                self.send(orjson.dumps({"op": 6, "d": d}))
            self._schedule(random.uniform(0.1, 1.0) * self._interval)
        elif op == 11:
            self.counters.heartbeat_acks += 1
        elif op == 7:
            self.count_drop("op7")
            self.drop("close4000")
        elif op == 9:
            # Never expected: the session is gone, and what it missed with it.
            session.invalid_sessions += 1
            session.session_id, session.seq = None, 0
            self.drop("close4000")

    def count_drop(self, kind: str) -> None:
        drops = self.session.drops
        drops[kind] = drops.get(kind, 0) + 1

    def drop(self, kind: str) -> None:
        """End this connection as `kind` says; the session reconnects and RESUMEs."""
        if self.dropped or self.transport is None:
            return
        self.dropped = True
        self.session.live.clear()
        if kind == "abort":
            self.transport.abort()
        else:
            self.transport.write(mask_frame(0x8, (4000).to_bytes(2, "big")))
            self.transport.close()

    def _schedule(self, delay: float) -> None:
        self._heartbeat = asyncio.get_running_loop().call_later(delay, self._beat)

    def _beat(self) -> None:
        seq = self.session.seq
        self.send(b'{"op":1,"d":%d}' % seq if seq else b'{"op":1,"d":null}')
        self._schedule(self._interval)

    def on_closed(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.session.live.clear()
        if self.session.connection is self:
            self.session.connection = None
        self.closed.set_result(None)


class Chaos:
    """The sessions, the drops, and the verdict; steered by the client process's commands."""

    def __init__(self) -> None:
        self.counters = Counters()
        self.drops: dict[str, int] = {}
        self.sessions: list[ChaosSession] = []
        self._request = b""
        self._address = ("127.0.0.1", 0)
        self._dropping: asyncio.Task[None] | None = None
        self._reconnects: set[asyncio.Task[None]] = set()
        self._connect_failures = 0

    async def _connect(self, session: ChaosSession) -> None:
        loop = asyncio.get_running_loop()
        host, port = self._address
        for _ in range(20):
            try:
                _, connection = await loop.create_connection(
                    lambda: ChaosConnection(self._request, self.counters, session), host, port
                )
            except OSError:
                self._connect_failures += 1
                await asyncio.sleep(0.1)
                continue
            session.connection = connection
            return
        raise ConnectionError("could not reconnect")

    def _watch(self, session: ChaosSession, connection: ChaosConnection) -> None:
        """When `connection` closes, reconnect (RESUME) after a short pause."""

        async def again() -> None:
            await asyncio.sleep(random.uniform(0, RECONNECT_PAUSE_S))
            await self._connect(session)
            assert session.connection is not None
            self._watch(session, session.connection)

        def closed(_: Any) -> None:
            task = asyncio.get_running_loop().create_task(again())
            self._reconnects.add(task)
            task.add_done_callback(self._reconnects.discard)

        connection.closed.add_done_callback(closed)

    async def identify(self, command: dict[str, Any]) -> dict[str, Any]:
        host, port = "127.0.0.1", command["port"]
        self._address = (host, port)
        self._request = handshake(host, port, "/?v=10&encoding=json")
        self.sessions = [
            ChaosSession(token, command["intents"], self.drops)
            for token, count in command["tokens"]
            for _ in range(count)
        ]
        gate = asyncio.Semaphore(50)

        async def one(session: ChaosSession) -> None:
            async with gate:
                await self._connect(session)
                await asyncio.wait_for(session.live.wait(), command["timeout"])
                assert session.connection is not None
                self._watch(session, session.connection)

        started = time.monotonic()
        await asyncio.gather(*(one(s) for s in self.sessions))
        return {"ready": len(self.sessions), "seconds": time.monotonic() - started}

    async def start(self, command: dict[str, Any]) -> dict[str, Any]:
        """Drop a random live session `rate` times a second until stopped."""
        rate = command["rate"]

        async def drop_forever() -> None:
            while True:
                await asyncio.sleep(random.expovariate(rate))
                live = [s for s in self.sessions if s.live.is_set() and s.connection]
                if live:
                    session = random.choice(live)
                    kind = random.choice(DROP_KINDS)
                    assert session.connection is not None
                    session.connection.count_drop(kind)
                    session.connection.drop(kind)

        self._dropping = asyncio.get_running_loop().create_task(drop_forever())
        return {"started": True}

    async def status(self, command: dict[str, Any]) -> dict[str, Any]:
        return {
            "drops": dict(self.drops),
            "total": sum(self.drops.values()),
            "live": sum(1 for s in self.sessions if s.live.is_set()),
        }

    async def stop(self, command: dict[str, Any]) -> dict[str, Any]:
        """Stop dropping; wait until every session is live again and holds `count` messages."""
        if self._dropping is not None:
            self._dropping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dropping
        deadline = time.monotonic() + command["timeout"]
        count = command["count"]
        while time.monotonic() < deadline:
            if all(s.live.is_set() and len(s.nonces) >= count for s in self.sessions):
                break
            await asyncio.sleep(0.1)
        return await self.verify(count)

    async def verify(self, count: int) -> dict[str, Any]:
        lost = duplicated = reordered = exact = 0
        for session in self.sessions:
            got = session.nonces
            unique = set(got)
            lost += sum(1 for n in range(count) if n not in unique)
            duplicated += len(got) - len(unique)
            reordered += sum(1 for a, b in itertools.pairwise(got) if b < a)
            exact += got == list(range(count))
        return {
            "sessions": len(self.sessions),
            "messages": count,
            "lost": lost,
            "duplicated": duplicated,
            "reordered": reordered,
            "sessions_exact": exact,
            "seq_errors": sum(s.seq_errors for s in self.sessions),
            "invalid_sessions": sum(s.invalid_sessions for s in self.sessions),
            "resumes": sum(s.resumes for s in self.sessions),
            "drops": dict(self.drops),
            "connect_failures": self._connect_failures,
            "live": sum(1 for s in self.sessions if s.live.is_set()),
        }
