"""Accounts, guilds, bots and identified gateway clients for the gateway e2e tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import trio

from accord.gateway.hub import Hub, HubConfig
from accord.gateway.server import serve_gateway
from accord.gateway.session import Session
from accord.services import Services
from tests.e2e.conftest import bearer, register
from tests.e2e.gateway_client import ALL_INTENTS, GatewayClient, connect

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
# Intents (Discord's bits).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
# Application flags approving privileged intents (the _LIMITED forms).
FLAG_PRESENCE = 1 << 13
FLAG_GUILD_MEMBERS = 1 << 15
FLAG_MESSAGE_CONTENT = 1 << 19


@dataclass
class Person:
    """A user or bot: what it authenticates with, REST and gateway."""

    name: str
    token: str  # the gateway token (access token, or bare bot token)
    headers: dict[str, str]
    id: str


async def person(api: httpx.AsyncClient, name: str) -> Person:
    token = (await register(api, name))["access_token"]
    headers = bearer(token)
    me = await api.get("/users/@me", headers=headers)
    return Person(name, token, headers, me.json()["id"])


async def guild(api: httpx.AsyncClient, owner: Person, name: str = "Home") -> dict[str, Any]:
    """A new guild of `owner`, with its channels."""
    created = await api.post("/guilds", json={"name": name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    body = dict(created.json())
    channels = await api.get(f"/guilds/{body['id']}/channels", headers=owner.headers)
    body["channels"] = channels.json()
    return body


def text_channel(guild: dict[str, Any]) -> str:
    return next(c["id"] for c in guild["channels"] if c["type"] == 0)


async def join(api: httpx.AsyncClient, owner: Person, member: Person, guild: dict) -> None:
    """`member` joins `guild` through an invite made by `owner`."""
    invite = await api.post(
        f"/channels/{text_channel(guild)}/invites", json={"max_age": 0}, headers=owner.headers
    )
    assert invite.status_code == 200, invite.text
    accepted = await api.post(f"/invites/{invite.json()['code']}", headers=member.headers)
    assert accepted.status_code == 200, accepted.text


async def bot(
    api: httpx.AsyncClient,
    owner: Person,
    guild: dict | None = None,
    *,
    flags: int = 0,
    permissions: int = VIEW_CHANNEL | SEND_MESSAGES,
    name: str = "Helper",
) -> Person:
    """A bot application of `owner` (with `flags`), added to `guild` if given."""
    created = await api.post(
        "/applications", json={"name": name, "flags": flags}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    app = created.json()
    if guild is not None:
        added = await api.post(
            "/oauth2/authorize",
            json={
                "client_id": app["id"],
                "scope": "bot",
                "guild_id": guild["id"],
                "permissions": str(permissions),
            },
            headers=owner.headers,
        )
        assert added.status_code == 200, added.text
    token = app["token"]
    return Person(app["bot"]["username"], token, {"Authorization": f"Bot {token}"}, app["id"])


async def post(api: httpx.AsyncClient, author: Person, channel_id: str, content: str) -> dict:
    posted = await api.post(
        f"/channels/{channel_id}/messages", json={"content": content}, headers=author.headers
    )
    assert posted.status_code == 200, posted.text
    return dict(posted.json())


async def dm_channel(api: httpx.AsyncClient, sender: Person, recipient: Person) -> str:
    opened = await api.post(
        "/users/@me/channels", json={"recipient_id": recipient.id}, headers=sender.headers
    )
    assert opened.status_code == 200, opened.text
    return str(opened.json()["id"])


@asynccontextmanager
async def identified(
    url: str, who: Person, intents: int | None = ALL_INTENTS, **options: Any
) -> AsyncIterator[GatewayClient]:
    """A client that has identified and received the GUILD_CREATE of every guild in READY."""
    async with connect(url, compress=options.pop("compress", False)) as client:
        await client.hello()
        ready = await client.identify(who.token, intents, **options)
        pending = {g["id"] for g in ready["d"]["guilds"]}
        if intents is None or intents & GUILDS:
            while pending:
                created = await client.wait_for("GUILD_CREATE")
                pending.discard(created["d"]["id"])
        yield client


async def still_serving(url: str, who: Person) -> None:
    """A fresh connection is greeted, identifies and gets READY: the server kept serving."""
    async with connect(url) as client:
        await client.hello()
        await client.send(1, None)
        assert (await client.wait_op(11))["d"] is None
        ready = await client.identify(who.token)
        assert ready["d"]["user"]["id"] == who.id


def session_of(hub: Hub, client: GatewayClient) -> Session:
    assert client.session_id is not None
    session = hub.registry.get(client.session_id)
    assert session is not None
    return session


@asynccontextmanager
async def open_gateway(services: Services, **config: Any) -> AsyncIterator[tuple[str, Hub]]:
    """A second live gateway over `services` with its own HubConfig (e.g. a short heartbeat)."""
    hub = Hub(services.storage, services.auth, services.bus, services.presence, HubConfig(**config))
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve_gateway, hub, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{port}"
        hub.config = replace(hub.config, public_url=url)
        yield url, hub
        nursery.cancel_scope.cancel()
