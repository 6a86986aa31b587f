"""Every way a login ends closes the gateway connections it opened with 4004.

Shared by the one-process and the many-process tests: each scenario is given
REST clients (setup goes through the first, the ending through the last) and
gateway URLs (every connection is opened on each), registers users of its
own (their names carry the scenario's prefix, so scenarios can share one
database), opens connections for the login that will end and for bystanders,
ends the login and checks that:

- each connection of the ended login is closed with 4004, promptly;
- its session cannot be resumed (op 9, or 4004 with the ended token);
- every other connection keeps receiving events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import trio
from trio_websocket import ConnectionClosed

from tests.e2e.conftest import bearer, register
from tests.e2e.gateway_client import GatewayClient, connect
from tests.e2e.gateway_world import (
    GUILD_MESSAGES,
    GUILDS,
    Person,
    bot,
    guild,
    identified,
    join,
    person,
    post,
    text_channel,
)

PASSWORD = "correct horse"  # what tests.e2e.conftest.register gives everyone
NEW_PASSWORD = "battery staple 42"
AUTHENTICATION_FAILED = 4004
INVALID_SESSION = 9
HEARTBEAT_ACK = 11
# How long a close may take after the REST call that ended the login
# answered: one announcement and one close handshake, on a busy machine.
CLOSE_SECONDS = 10


@dataclass
class Servers:
    apis: list[httpx.AsyncClient]
    gateways: list[str]

    @property
    def setup(self) -> httpx.AsyncClient:
        return self.apis[0]

    @property
    def ending(self) -> httpx.AsyncClient:
        return self.apis[-1]


@dataclass
class World:
    owner: Person  # owns the guild
    member: Person
    home: dict[str, Any]  # the guild

    @property
    def channel_id(self) -> str:
        return text_channel(self.home)


async def world(servers: Servers, prefix: str) -> World:
    owner = await person(servers.setup, f"{prefix}_owner")
    member = await person(servers.ending, f"{prefix}_member")
    home = await guild(servers.setup, owner)
    await join(servers.setup, owner, member, home)
    return World(owner, member, home)


async def registered(api: httpx.AsyncClient, name: str) -> tuple[Person, str]:
    """A new account's person (its first login) and that login's refresh token."""
    tokens = await register(api, name)
    headers = bearer(tokens["access_token"])
    me = await api.get("/users/@me", headers=headers)
    return Person(name, tokens["access_token"], headers, me.json()["id"]), tokens["refresh_token"]


async def second_login(api: httpx.AsyncClient, who: Person) -> Person:
    """Another login (session) of the same account."""
    logged_in = await api.post(
        "/auth/login", json={"email": f"{who.name}@example.com", "password": PASSWORD}
    )
    assert logged_in.status_code == 200, logged_in.text
    token = logged_in.json()["access_token"]
    return Person(who.name, token, {"Authorization": f"Bearer {token}"}, who.id)


async def connections(
    stack: AsyncExitStack, servers: Servers, who: Person, intents: int | None = None
) -> list[GatewayClient]:
    """One identified connection of `who` on every gateway."""
    if intents is None:
        return [await stack.enter_async_context(identified(url, who)) for url in servers.gateways]
    return [
        await stack.enter_async_context(identified(url, who, intents)) for url in servers.gateways
    ]


async def closed_with_4004(clients: list[GatewayClient]) -> None:
    for client in clients:
        with trio.fail_after(CLOSE_SECONDS):
            assert await client.close_code() == AUTHENTICATION_FAILED


async def still_served(api: httpx.AsyncClient, author: Person, channel_id: str, clients) -> None:
    """A message posted now reaches every client in `clients`."""
    sent = await post(api, author, channel_id, "still here?")
    for client in clients:
        with trio.fail_after(CLOSE_SECONDS):
            await client.wait_for("MESSAGE_CREATE", lambda d: d["id"] == sent["id"])


async def answers_heartbeats(clients: list[GatewayClient]) -> None:
    for client in clients:
        await client.send(1, client.seq)
        with trio.fail_after(CLOSE_SECONDS):
            await client.wait_op(HEARTBEAT_ACK)


async def resume_refused(url: str, token: str, ended: GatewayClient) -> int:
    """RESUME `ended`'s session with `token`: op 9, or the close code (4004 for a dead token)."""
    assert ended.session_id is not None and ended.seq is not None
    async with connect(url) as client:
        await client.hello()
        await client.resume(token, ended.session_id, ended.seq)
        with trio.fail_after(CLOSE_SECONDS):
            try:
                payload = await client.wait_op(INVALID_SESSION)
            except ConnectionClosed as closed:
                assert closed.reason is not None
                return int(closed.reason.code)
        assert payload["d"] is False
        return INVALID_SESSION


async def logout(servers: Servers, stack: AsyncExitStack) -> None:
    """POST /auth/logout ends that login's connections, not the user's other login's."""
    w = await world(servers, "lo")
    other_login = await second_login(servers.setup, w.member)
    ended = await connections(stack, servers, w.member)
    kept = await connections(stack, servers, other_login)
    kept += await connections(stack, servers, w.owner)

    out = await servers.ending.post("/auth/logout", headers=w.member.headers)
    assert out.status_code == 204, out.text

    await closed_with_4004(ended)
    await still_served(servers.setup, w.owner, w.channel_id, kept)
    # Gone for good: not even the user's other, live login may take it over.
    url = servers.gateways[-1]
    assert await resume_refused(url, other_login.token, ended[0]) == INVALID_SESSION
    assert await resume_refused(url, w.member.token, ended[-1]) == AUTHENTICATION_FAILED


async def refresh_replay(servers: Servers, stack: AsyncExitStack) -> None:
    """Replaying a rotated refresh token revokes the login: its connections end."""
    w = await world(servers, "rr")
    victim, refresh_token = await registered(servers.ending, "rr_victim")
    await join(servers.setup, w.owner, victim, w.home)
    ended = await connections(stack, servers, victim)
    kept = await connections(stack, servers, w.member)

    rotated = await servers.ending.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert rotated.status_code == 200, rotated.text
    replayed = await servers.ending.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert replayed.status_code == 401, replayed.text

    await closed_with_4004(ended)
    await still_served(servers.setup, w.owner, w.channel_id, kept)
    assert await resume_refused(servers.gateways[0], victim.token, ended[0]) == (
        AUTHENTICATION_FAILED
    )


async def bot_token_reset(servers: Servers, stack: AsyncExitStack) -> None:
    """A bot token reset ends the bot's connections; a change to its profile does not."""
    w = await world(servers, "bt")
    helper = await bot(servers.setup, w.owner, w.home)
    intents = GUILDS | GUILD_MESSAGES
    bots = await connections(stack, servers, helper, intents)
    other_login = await second_login(servers.setup, w.member)
    witness = await connections(stack, servers, other_login)
    kept = await connections(stack, servers, w.member)

    renamed = await servers.ending.patch(
        "/users/@me", json={"username": "Renamed"}, headers=helper.headers
    )
    assert renamed.status_code == 200, renamed.text
    # A logout announced after the rename, through the same process: once its
    # connections have closed, the rename's announcement was handled too.
    out = await servers.ending.post("/auth/logout", headers=other_login.headers)
    assert out.status_code == 204, out.text
    await closed_with_4004(witness)
    await answers_heartbeats(bots)

    reset = await servers.ending.post(
        f"/applications/{helper.id}/bot/reset", headers=w.owner.headers
    )
    assert reset.status_code == 200, reset.text

    await closed_with_4004(bots)
    await still_served(servers.setup, w.owner, w.channel_id, kept)
    new_token = reset.json()["token"]
    assert await resume_refused(servers.gateways[0], new_token, bots[0]) == INVALID_SESSION


async def password_change(servers: Servers, stack: AsyncExitStack) -> None:
    """A password change ends every login of the user; the answer carries a new one."""
    w = await world(servers, "pc")
    other_login = await second_login(servers.setup, w.member)
    ended = await connections(stack, servers, w.member)
    ended += await connections(stack, servers, other_login)
    kept = await connections(stack, servers, w.owner)

    changed = await servers.ending.patch(
        "/users/@me",
        json={"password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=w.member.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["id"] == w.member.id and body["token"] and body["refresh_token"]

    await closed_with_4004(ended)
    await still_served(servers.setup, w.owner, w.channel_id, kept)
    for old in (w.member, other_login):
        assert (await servers.setup.get("/users/@me", headers=old.headers)).status_code == 401
    renewed = Person(
        w.member.name, body["token"], {"Authorization": f"Bearer {body['token']}"}, w.member.id
    )
    fresh = await connections(stack, servers, renewed)
    await still_served(servers.setup, w.owner, w.channel_id, fresh)
    login = servers.setup.post
    email = f"{w.member.name}@example.com"
    assert (
        await login("/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == (401)
    relogin = await login("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert relogin.status_code == 200, relogin.text


async def account_deletion(servers: Servers, stack: AsyncExitStack) -> None:
    """Deleting the account ends every login; the guild sees the member leave."""
    w = await world(servers, "ad")
    other_login = await second_login(servers.setup, w.member)
    ended = await connections(stack, servers, w.member)
    ended += await connections(stack, servers, other_login)
    kept = await connections(stack, servers, w.owner)

    deleted = await servers.ending.post(
        "/users/@me/delete", json={"password": PASSWORD}, headers=w.member.headers
    )
    assert deleted.status_code == 204, deleted.text

    await closed_with_4004(ended)
    for client in kept:
        with trio.fail_after(CLOSE_SECONDS):
            await client.wait_for("GUILD_MEMBER_REMOVE", lambda d: d["user"]["id"] == w.member.id)
    await still_served(servers.setup, w.owner, w.channel_id, kept)
    email = f"{w.member.name}@example.com"
    again = await servers.setup.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert again.status_code == 401


Scenario = Callable[[Servers, AsyncExitStack], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    "logout": logout,
    "refresh-replay": refresh_replay,
    "bot-token-reset": bot_token_reset,
    "password-change": password_change,
    "account-deletion": account_deletion,
}
