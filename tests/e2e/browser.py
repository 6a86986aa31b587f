"""A real Accord server in a background thread, and the system Chromium driven by Playwright.

The server is what `accord serve` runs (open_services + start_surfaces) on
port 0, in its own Trio run, so the page gets REST and the gateway from one
server exactly as a newcomer does. Playwright's sync API runs in the test's
thread. The browser is Debian's `chromium` package; Playwright never
downloads one. Without it the tests skip, unless ACCORD_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.threaded_server import Server, running_accord

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


__all__ = ["Server", "launched_chromium", "require_browser", "running_accord"]
