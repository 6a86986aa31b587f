"""A real Accord server in a background thread, and the system Chromium driven by Playwright.

The server is what `accord serve` runs (open_services + start_surfaces) on
port 0, in its own Trio run, so the page gets REST and the gateway from one
server exactly as a newcomer does. Playwright's sync API runs in the test's
thread. The browser is Debian's `chromium` package; Playwright never
downloads one. Without it the tests skip, unless ACCORD_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from accord.bootstrap import open_services
from accord.config import Settings
from accord.core.snowflake import Snowflake
from accord.gateway.hub import Gateway
from accord.runner import SURFACES, start_surfaces

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_SECONDS = 15


def require_browser() -> Any:
    """Playwright's sync API and the path of a Chromium to drive, or skip (fail under CI)."""
    reason = None
    try:
        from playwright import sync_api
    except ImportError:
        reason = "playwright is not installed (it is in the dev extra)"
        sync_api = None
    if reason is None and not CHROMIUM.exists():
        reason = (
            f"no Chromium at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium) or set ACCORD_CHROMIUM"
        )
    if reason is not None:
        if os.environ.get("ACCORD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ACCORD_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_api


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """A headless system Chromium, closed on exit."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Server:
    api_port: int
    gateway_port: int
    gateway: Gateway
    token: trio.lowlevel.TrioToken
    cancel: trio.CancelScope

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

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
    started = handoff.get(timeout=STEP_SECONDS)
    if isinstance(started, BaseException):
        thread.join(STEP_SECONDS)
        raise started
    try:
        yield started
    finally:
        started.call(started.cancel.cancel)
        thread.join(STEP_SECONDS)
        assert not thread.is_alive(), "the server did not stop"
