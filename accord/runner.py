"""Process lifecycles: resolve the database, migrate, serve until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType
from typing import NamedTuple

import trio

from accord.adapters.postgres.embedded import embedded_postgres
from accord.adapters.postgres.migrations import migrate_url
from accord.bootstrap import open_services
from accord.config import Settings
from accord.gateway.hub import Hub, HubConfig
from accord.gateway.server import serve_gateway
from accord.http.gateway_discovery import gateway_url
from accord.http.server import serve_api
from accord.services import Services

log = logging.getLogger("accord")

SURFACES = frozenset({"api", "gateway"})
# A stopping gateway stores its sessions for another to resume; past this
# the process stops anyway (the sessions not stored are lost to resume).
HAND_OVER_TIMEOUT_S = 20.0
HAND_OVER_FLUSH_S = 0.5


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


def run_serve(settings: Settings, surfaces: frozenset[str] = SURFACES) -> None:
    """``accord serve`` (both surfaces), ``accord api`` or ``accord gateway``, until a signal."""
    # Until trio.run installs its own handlers, SIGTERM must still unwind the
    # with-blocks below so an embedded PostgreSQL is stopped, not orphaned.
    signal.signal(signal.SIGTERM, _raise_shutdown)
    try:
        with database_url(settings) as url:
            if settings.migrate:
                applied = asyncio.run(migrate_url(url))
                for name in applied:
                    log.info("applied migration %s", name)
            trio.run(_serve, settings, url, surfaces)
    except (KeyboardInterrupt, Shutdown):
        pass
    log.info("stopped")


def build_gateway(services: Services) -> Hub:
    settings = services.settings
    config = HubConfig(
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        resume_window_s=settings.resume_window_s,
        presence_refresh_s=settings.presence_ttl_s / 3,
    )
    return Hub(
        services.storage,
        services.auth,
        services.bus,
        services.presence,
        config,
        services.handoffs,
    )


class Started(NamedTuple):
    """What `start_surfaces` started: the bound ports, and the gateway (None where not started)."""

    api_port: int | None
    gateway_port: int | None
    gateway: Hub | None


async def start_surfaces(
    services: Services, surfaces: frozenset[str], nursery: trio.Nursery
) -> Started:
    """Start the gateway and/or the REST API in `nursery`; returns what was started."""
    settings = services.settings
    gateway: Hub | None = None
    gateway_port: int | None = None
    if "gateway" in surfaces:
        gateway = build_gateway(services)
        gateway_port = await nursery.start(
            serve_gateway, gateway, settings.host, settings.gateway_port
        )
        # With port 0 the bound port is only known now; clients must be told the real one.
        settings = replace(settings, gateway_port=gateway_port)
        services = replace(services, settings=settings)
        gateway.config = replace(gateway.config, public_url=gateway_url(settings))
    api_port: int | None = None
    if "api" in surfaces:
        api_port = await nursery.start(serve_api, services, settings.host, settings.api_port)
    return Started(api_port, gateway_port, gateway)


async def _serve(settings: Settings, url: str, surfaces: frozenset[str]) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_services(settings, url) as services, trio.open_nursery() as nursery:
            api_port, gateway_port, gateway = await start_surfaces(services, surfaces, nursery)
            if api_port is not None:
                print(f"Accord is running: http://{settings.host}:{api_port}/", flush=True)
            if gateway_port is not None:
                print(f"Gateway: ws://{settings.host}:{gateway_port}/", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            async for signum in signals:
                log.info("received %s, shutting down", signal.Signals(signum).name)
                if gateway is not None:
                    with trio.move_on_after(HAND_OVER_TIMEOUT_S):
                        try:
                            handed = await gateway.hand_over()
                        except Exception:
                            # Stopping anyway: clients then re-identify elsewhere.
                            log.exception("could not hand sessions over")
                        else:
                            log.info("handed %d sessions over for resuming elsewhere", handed)
                            # Let the op 7s reach the clients before the sockets close.
                            await trio.sleep(HAND_OVER_FLUSH_S)
                nursery.cancel_scope.cancel()
                break
