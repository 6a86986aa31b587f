"""`accord serve` in a Trio run on a background thread, for tests whose client is not Trio.

discord.py (asyncio) and Playwright's sync API drive the server from the
test's own thread; they reach into it only through `Server.call`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import trio

from accord.bootstrap import open_services
from accord.config import Settings
from accord.core.snowflake import Snowflake
from accord.gateway.hub import Hub
from accord.runner import SURFACES, start_surfaces

# Starting and stopping the server may take this long.
START_STOP_SECONDS = 15


@dataclass
class Server:
    api_port: int
    gateway_port: int
    gateway: Hub
    token: trio.lowlevel.TrioToken
    cancel: trio.CancelScope

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a synchronous function in the server's Trio thread."""
        return trio.from_thread.run_sync(fn, *args, trio_token=self.token)

    def session_ids(self, user_id: str) -> list[str]:
        """The gateway sessions of one user."""

        def find() -> list[str]:
            users = frozenset({Snowflake(int(user_id))})
            return [s.id for s in self.gateway.registry.sessions_of(users)]

        result: list[str] = self.call(find)
        return result

    def reconnect(self, session_id: str) -> bool:
        """Op 7 to a session: the client is asked to reconnect and resume."""
        return bool(self.call(self.gateway.reconnect, session_id))

    def abort(self, session_id: str) -> bool:
        """Drop a session's connection with no close frame, as a network failure does."""

        def drop() -> bool:
            session = self.gateway.registry.get(session_id)
            if session is None or session.transport is None:
                return False
            session.transport.abort()
            return True

        return bool(self.call(drop))


@contextmanager
def running_accord(settings: Settings, database_url: str) -> Iterator[Server]:
    """`accord serve`'s surfaces in a Trio run on a background thread, stopped on exit."""
    handoff: queue.Queue[Server | BaseException] = queue.Queue()

    async def serve() -> None:
        try:
            async with (
                open_services(settings, database_url) as services,
                trio.open_nursery() as nursery,
            ):
                api_port, gateway_port, gateway = await start_surfaces(services, SURFACES, nursery)
                assert api_port is not None and gateway_port is not None and gateway is not None
                token = trio.lowlevel.current_trio_token()
                handoff.put(Server(api_port, gateway_port, gateway, token, nursery.cancel_scope))
        except BaseException as exc:
            handoff.put(exc)
            raise

    thread = threading.Thread(target=trio.run, args=(serve,), name="accord", daemon=True)
    thread.start()
    started = handoff.get(timeout=START_STOP_SECONDS)
    if isinstance(started, BaseException):
        thread.join(START_STOP_SECONDS)
        raise started
    try:
        yield started
    finally:
        started.call(started.cancel.cancel)
        thread.join(START_STOP_SECONDS)
        assert not thread.is_alive(), "the server did not stop"
