"""Serves the REST app with Hypercorn's Trio worker."""

from __future__ import annotations

import logging

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from accord.http.app import create_app
from accord.services import Services

# Lets in-flight requests finish on shutdown, but never holds it longer.
GRACEFUL_TIMEOUT_S = 5.0


async def serve_api(
    services: Services,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until cancelled; reports the bound port through ``task_status``."""
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    # Hand Hypercorn our logger so its messages go through our logging setup once.
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = GRACEFUL_TIMEOUT_S
    config.max_app_queue_size = 10
    app = create_app(services)

    async with trio.open_nursery() as nursery:
        binds: list[str] = await nursery.start(serve, app, config)
        task_status.started(int(binds[0].rsplit(":", 1)[1]))
