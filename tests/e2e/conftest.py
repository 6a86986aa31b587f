"""A real Accord REST server on port 0 over a fresh database, and a client for it."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import trio

from accord.bootstrap import open_services
from accord.config import Settings
from accord.core.snowflake import Snowflake
from accord.gateway.hub import Hub
from accord.gateway.server import serve_gateway
from accord.http.server import serve_api
from accord.runner import build_gateway
from accord.services import Services

TEST_JWT_SECRET = "test-secret-" + "x" * 40
# Every e2e test that waits on the server is bounded by this.
TEST_SECONDS = 30


@pytest.fixture
async def services(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Services]:
    settings = Settings(
        api_port=0,
        data_dir=tmp_path,
        jwt_secret=TEST_JWT_SECRET,
        pool_size=4,
        rate_limit_scale=getattr(request, "param", 1000.0),
    )
    async with open_services(settings, database_url) as services:
        yield services


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose base URL is a live server's /api/v10."""
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve_api, services, "127.0.0.1", 0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/api/v10", timeout=10
        ) as client:
            yield client
        nursery.cancel_scope.cancel()


@dataclass
class GatewayServer:
    url: str
    hub: Hub


@pytest.fixture
async def gateway(services: Services) -> AsyncIterator[GatewayServer]:
    """A live gateway on port 0 sharing the `api` fixture's services (and event bus)."""
    hub = build_gateway(services)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve_gateway, hub, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{port}"
        # As `accord serve` does once the port is bound: READY's resume_gateway_url.
        hub.config = replace(hub.config, public_url=url)
        yield GatewayServer(url, hub)
        nursery.cancel_scope.cancel()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    """Register ``name`` and return the token response."""
    response = await client.post(
        "/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "correct horse"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def bounded(test):
    """Fail the test rather than hang past TEST_SECONDS."""

    @functools.wraps(test)
    async def run(*args, **kwargs):
        with trio.fail_after(TEST_SECONDS):
            await test(*args, **kwargs)

    return run


async def account(client: httpx.AsyncClient, name: str) -> tuple[dict[str, str], Snowflake]:
    """Register ``name``: its auth headers and user id."""
    headers = bearer((await register(client, name))["access_token"])
    me = await client.get("/users/@me", headers=headers)
    return headers, Snowflake(int(me.json()["id"]))


__all__ = ["GatewayServer", "account", "bearer", "bounded", "register", "replace"]
