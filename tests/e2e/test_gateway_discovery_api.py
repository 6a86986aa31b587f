"""GET /gateway and /gateway/bot over real HTTP: where clients open the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio

from accord.bootstrap import open_services
from accord.config import Settings
from accord.http.server import serve_api
from tests.e2e.conftest import TEST_JWT_SECRET, bearer, bounded, register


@asynccontextmanager
async def _client(
    database_url: str, tmp_path: Path, **settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A live server with the given settings (it always listens on 127.0.0.1)."""
    config = Settings(api_port=0, data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET, **settings)
    async with open_services(config, database_url) as services, trio.open_nursery() as nursery:
        port = await nursery.start(serve_api, services, "127.0.0.1", 0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/v10") as client:
            yield client
        nursery.cancel_scope.cancel()


async def _bot_token(api: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    owner = bearer((await register(api, "owner"))["access_token"])
    created = await api.post("/applications", json={"name": "Gateway Bot"}, headers=owner)
    assert created.status_code == 201, created.text
    return created.json()["token"], owner


@bounded
async def test_gateway_needs_no_token_and_names_the_configured_port(api):
    response = await api.get("/gateway")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"url": "ws://127.0.0.1:8081"}


@bounded
async def test_gateway_bot_gives_url_shards_and_session_start_limit(api):
    token, _ = await _bot_token(api)
    response = await api.get("/gateway/bot", headers={"Authorization": f"Bot {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == "ws://127.0.0.1:8081" and body["shards"] == 1
    limit = body["session_start_limit"]
    assert set(limit) == {"total", "remaining", "reset_after", "max_concurrency"}
    assert limit["total"] == 1000 and 0 <= limit["remaining"] <= 1000
    assert limit["reset_after"] > 0 and limit["max_concurrency"] == 1


@bounded
async def test_gateway_bot_is_for_bots_only(api):
    _, person = await _bot_token(api)
    as_person = await api.get("/gateway/bot", headers=person)
    assert as_person.status_code == 403 and as_person.json()["code"] == 20002
    assert (await api.get("/gateway/bot")).status_code == 401
    bad = await api.get("/gateway/bot", headers={"Authorization": "Bot not-a-token"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("settings", "host_header", "url"),
    [
        ({"gateway_url": "wss://gateway.example.test"}, None, "wss://gateway.example.test"),
        ({"host": "::1", "gateway_port": 9000}, None, "ws://[::1]:9000"),
        ({"host": "chat.example.test", "gateway_port": 443}, None, "ws://chat.example.test:443"),
        # A wildcard is not an address to connect to: the client's own host name is used.
        (
            {"host": "0.0.0.0", "gateway_port": 9001},
            "chat.example.test:8080",
            "ws://chat.example.test:9001",
        ),
        ({"host": "::", "gateway_port": 9002}, "[::1]:8080", "ws://[::1]:9002"),
    ],
)
@bounded
async def test_gateway_url_follows_settings(database_url, tmp_path, settings, host_header, url):
    async with _client(database_url, tmp_path, **settings) as client:
        headers = {"Host": host_header} if host_header else {}
        response = await client.get("/gateway", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"url": url}
        token, _ = await _bot_token(client)
        bot = await client.get("/gateway/bot", headers={"Authorization": f"Bot {token}", **headers})
        assert bot.json()["url"] == url
