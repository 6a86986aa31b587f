"""Process lifecycles: resolve the database, migrate, serve until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import trio

from accord.adapters.postgres.embedded import embedded_postgres
from accord.adapters.postgres.migrations import migrate_url
from accord.bootstrap import open_services
from accord.config import Settings
from accord.http.server import serve_api

log = logging.getLogger("accord")


class Shutdown(Exception):
    """SIGTERM arrived before the Trio run took over signal handling."""


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured DATABASE_URL, or an embedded PostgreSQL kept up for the block."""
    if settings.database_url:
        yield settings.database_url
    else:
        with embedded_postgres(settings.data_dir) as url:
            yield url


def run_migrate(settings: Settings) -> list[str]:
    with database_url(settings) as url:
        return asyncio.run(migrate_url(url))


def run_serve(settings: Settings) -> None:
    """``accord serve``: everything in one process until Ctrl-C or SIGTERM."""
    # Until trio.run installs its own handlers, SIGTERM must still unwind the
    # with-blocks below so an embedded PostgreSQL is stopped, not orphaned.
    signal.signal(signal.SIGTERM, _raise_shutdown)
    try:
        with database_url(settings) as url:
            if settings.migrate:
                applied = asyncio.run(migrate_url(url))
                for name in applied:
                    log.info("applied migration %s", name)
            trio.run(_serve, settings, url)
    except (KeyboardInterrupt, Shutdown):
        pass
    log.info("stopped")


async def _serve(settings: Settings, url: str) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_services(settings, url) as services, trio.open_nursery() as nursery:
            api_port = await nursery.start(serve_api, services, settings.host, settings.api_port)
            print(f"Accord is running: http://{settings.host}:{api_port}/", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            async for signum in signals:
                log.info("received %s, shutting down", signal.Signals(signum).name)
                nursery.cancel_scope.cancel()
                break


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pgserver narrates every step of its start at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
