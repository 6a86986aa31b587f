"""The heartbeat watchdog on trio's virtual clock: a deadline every heartbeat pushes back."""

from __future__ import annotations

from types import SimpleNamespace

import orjson
import trio
import trio.testing

from accord.gateway.connection import HEARTBEAT_GRACE, Connection
from accord.gateway.hub import HubConfig
from tests.unit.gateway_fakes import FakeTransport

INTERVAL_MS = 41_250


class FakeSocket:
    """A client that sends what the test feeds it and records how it was closed."""

    def __init__(self) -> None:
        self.inbox_send, self.inbox = trio.open_memory_channel[str](16)
        self.closed_with: int | None = None
        self.closed_at: float | None = None

    async def get_message(self) -> str:
        return await self.inbox.receive()

    async def aclose(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with, self.closed_at = code, trio.current_time()


def connection() -> tuple[Connection, FakeSocket, FakeTransport]:
    gateway = SimpleNamespace(config=HubConfig(heartbeat_interval_ms=INTERVAL_MS))
    socket, transport = FakeSocket(), FakeTransport()
    return Connection(gateway, socket, transport), socket, transport  # type: ignore[arg-type]


async def test_a_silent_connection_is_closed_4009_once_the_grace_has_passed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    conn, socket, transport = connection()
    started = trio.current_time()
    await conn.serve()
    assert socket.closed_with == 4009
    assert socket.closed_at is not None
    assert socket.closed_at - started == INTERVAL_MS / 1000 * HEARTBEAT_GRACE
    assert orjson.loads(transport.sent[0])["op"] == 10  # HELLO went out first


async def test_each_heartbeat_pushes_the_deadline_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    conn, socket, transport = connection()
    interval = INTERVAL_MS / 1000
    started = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(conn.serve)
        for _ in range(5):  # beating on time, five intervals in a row
            await trio.sleep(interval)
            await socket.inbox_send.send('{"op":1,"d":null}')
            await trio.testing.wait_all_tasks_blocked()
            assert socket.closed_with is None
    # Then silence: closed one grace period after the last beat.
    assert socket.closed_with == 4009 and socket.closed_at is not None
    assert socket.closed_at - started == 5 * interval + interval * HEARTBEAT_GRACE
    acks = [orjson.loads(p)["op"] for p in transport.sent].count(11)
    assert acks == 5
