"""Bot applications, bot tokens and adding bots to guilds over real HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
import trio

from accord.core.entities import Role
from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake
from tests.e2e.conftest import bearer, bounded, register

# What discord.py's AppInfo reads with data[...] (a missing one is a KeyError there).
DISCORD_PY_REQUIRED = {
    "id",
    "name",
    "description",
    "icon",
    "bot_public",
    "bot_require_code_grant",
    "owner",
    "verify_key",
    "summary",
    "rpc_origins",
}
SEND = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES


def drain(stream) -> list:
    events = []
    while True:
        try:
            events.append(stream.receive_nowait())
        except trio.WouldBlock:
            return events


def bot_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


def sf(value: str) -> Snowflake:
    return Snowflake(int(value))


async def _user(api: httpx.AsyncClient, name: str) -> tuple[dict[str, str], str]:
    headers = bearer((await register(api, name))["access_token"])
    return headers, (await api.get("/users/@me", headers=headers)).json()["id"]


async def _app(api: httpx.AsyncClient, owner: dict[str, str], name: str = "Helper") -> dict:
    created = await api.post("/applications", json={"name": name}, headers=owner)
    assert created.status_code == 201, created.text
    return created.json()


async def _guild(api: httpx.AsyncClient, owner: dict[str, str]) -> dict:
    created = await api.post("/guilds", json={"name": "Home"}, headers=owner)
    assert created.status_code == 201, created.text
    return created.json()


def _error(response: httpx.Response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


# -- applications --------------------------------------------------------------------


@bounded
async def test_create_returns_the_application_its_bot_and_the_token_once(api):
    alice, alice_id = await _user(api, "alice")
    created = await api.post(
        "/applications", json={"name": "My Cool Bot!", "description": "helps"}, headers=alice
    )
    assert created.status_code == 201, created.text
    app = created.json()
    assert set(app) >= DISCORD_PY_REQUIRED
    assert (app["name"], app["description"], app["owner"]["id"]) == (
        "My Cool Bot!",
        "helps",
        alice_id,
    )
    bot = app["bot"]
    assert bot["id"] == app["id"] and bot["bot"] is True
    assert bot["username"] == "My_Cool_Bot"
    assert re.fullmatch(r"[0-9]{4}", bot["discriminator"]) and bot["discriminator"] != "0000"
    assert app["token"] == bot["token"] and len(app["token"]) > 40
    assert re.fullmatch(r"[0-9a-f]{64}", app["verify_key"])
    assert app["bot_public"] is True and app["flags"] == 0
    fetched = await api.get(f"/applications/{app['id']}", headers=alice)
    assert fetched.status_code == 200
    assert "token" not in fetched.json() and "token" not in fetched.json()["bot"]
    assert fetched.json()["id"] == app["id"]
    listed = (await api.get("/applications", headers=alice)).json()
    assert [a["id"] for a in listed] == [app["id"]] and "token" not in listed[0]


@pytest.mark.parametrize(
    ("name", "username"),
    [("Ünïcödé Bøt", "Unicode_Bt"), ("X", "X_bot"), ("!!!", "bot"), ("a" * 60, "a" * 32)],
)
@bounded
async def test_bot_username_is_derived_from_any_application_name(api, name, username):
    alice, _ = await _user(api, "alice")
    app = await _app(api, alice, name)
    assert (app["name"], app["bot"]["username"]) == (name, username)


@bounded
async def test_bot_token_authenticates_as_the_bot(api):
    alice, alice_id = await _user(api, "alice")
    app = await _app(api, alice)
    me = await api.get("/users/@me", headers=bot_auth(app["token"]))
    assert me.status_code == 200, me.text
    assert me.json()["bot"] is True and me.json()["id"] == app["id"]
    assert me.json()["verified"] is False and me.json()["email"] is None
    for path in ("/applications/@me", "/oauth2/applications/@me"):
        info = await api.get(path, headers=bot_auth(app["token"]))
        assert info.status_code == 200, info.text
        body = info.json()
        assert set(body) >= DISCORD_PY_REQUIRED and "token" not in body
        assert body["id"] == app["id"] and body["owner"]["id"] == alice_id
        assert body["bot"]["id"] == app["id"] and isinstance(body["flags"], int)
    # A person has no application of their own to be; they list theirs instead.
    assert _error(await api.get("/applications/@me", headers=alice)) == (404, 10002)


@bounded
async def test_reset_invalidates_the_old_token_at_once(api):
    alice, _ = await _user(api, "alice")
    app = await _app(api, alice)
    old = bot_auth(app["token"])
    assert (await api.get("/users/@me", headers=old)).status_code == 200  # now cached
    reset = await api.post(f"/applications/{app['id']}/bot/reset", headers=alice)
    assert reset.status_code == 200, reset.text
    token = reset.json()["token"]
    assert token != app["token"]
    assert (await api.get("/users/@me", headers=old)).status_code == 401
    new = await api.get("/users/@me", headers=bot_auth(token))
    assert new.status_code == 200 and new.json()["id"] == app["id"]


@bounded
async def test_only_the_owner_reads_or_resets_an_application(api):
    alice, _ = await _user(api, "alice")
    bob, _ = await _user(api, "bob")
    app = await _app(api, alice)
    assert _error(await api.get(f"/applications/{app['id']}", headers=bob)) == (404, 10002)
    assert _error(await api.post(f"/applications/{app['id']}/bot/reset", headers=bob)) == (
        404,
        10002,
    )
    as_bot = await api.post(f"/applications/{app['id']}/bot/reset", headers=bot_auth(app["token"]))
    assert _error(as_bot) == (403, 20001)
    # Neither refusal changed the token.
    assert (await api.get("/users/@me", headers=bot_auth(app["token"]))).status_code == 200
    assert _error(await api.get("/applications/424242", headers=alice)) == (404, 10002)
    bad_id = await api.get("/applications/not-a-number", headers=alice)
    assert bad_id.status_code == 400 and "application_id" in bad_id.json()["errors"]
    assert (await api.get(f"/applications/{app['id']}")).status_code == 401


@bounded
async def test_bots_cannot_create_applications(api):
    alice, _ = await _user(api, "alice")
    app = await _app(api, alice)
    refused = await api.post(
        "/applications", json={"name": "Child"}, headers=bot_auth(app["token"])
    )
    assert _error(refused) == (403, 20001)
    assert len((await api.get("/applications", headers=alice)).json()) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "description": "x" * 401}, "description"),
        ({"name": "ok", "description": 7}, "description"),
        ({"name": "ok", "flags": 1}, "flags"),
        ({"name": "ok", "flags": "abc"}, "flags"),
        ({"name": "ok", "flags": True}, "flags"),
        ({"name": "ok", "team_id": "1"}, "team_id"),
    ],
)
@bounded
async def test_bad_application_fields_are_refused_and_nothing_is_stored(api, body, field):
    alice, _ = await _user(api, "alice")
    response = await api.post("/applications", json=body, headers=alice)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 50035 and field in response.json()["errors"]
    assert (await api.get("/applications", headers=alice)).json() == []


@bounded
async def test_gateway_flags_approve_privileged_intents(api, services):
    alice, _ = await _user(api, "alice")
    message_content = 1 << 18
    created = await api.post(
        "/applications", json={"name": "Reader", "flags": message_content}, headers=alice
    )
    assert created.status_code == 201, created.text
    assert created.json()["flags"] == 1 << 19  # reported as Discord does for small bots
    bot = await services.storage.users.get_user(sf(created.json()["id"]))
    assert bot is not None and bot.approved_intents == 1 << 15


# -- POST /oauth2/authorize ---------------------------------------------------------


def _authorize(app: dict, guild: dict, permissions: object = None) -> dict:
    form = {"client_id": app["id"], "scope": "bot applications.commands", "guild_id": guild["id"]}
    if permissions is not None:
        form["permissions"] = permissions
    return form


@bounded
async def test_owner_adds_a_bot_with_a_managed_role(api, services):
    alice, _ = await _user(api, "alice")
    guild = await _guild(api, alice)
    app = await _app(api, alice)
    async with services.bus.subscribe() as stream:
        added = await api.post(
            "/oauth2/authorize", json=_authorize(app, guild, str(int(SEND))), headers=alice
        )
        events = drain(stream)
    assert added.status_code == 200, added.text
    body = added.json()
    assert body["joined"] is True and body["guild"]["id"] == guild["id"]
    role = body["role"]
    assert role["managed"] is True and role["name"] == app["bot"]["username"]
    assert role["permissions"] == str(int(SEND))
    member = await services.storage.members.get_member(sf(guild["id"]), sf(app["id"]))
    assert member is not None and member.role_ids == (sf(role["id"]),)
    assert [e.type for e in events] == ["GUILD_ROLE_CREATE", "GUILD_CREATE", "GUILD_MEMBER_ADD"]
    role_event, guild_event, join_event = events
    assert role_event.guild_id == sf(guild["id"]) and role_event.user_ids is None
    assert guild_event.user_ids == guild_event.affects == frozenset({sf(app["id"])})
    assert guild_event.data["id"] == guild["id"]
    assert app["id"] in [m["user"]["id"] for m in guild_event.data["members"]]
    assert join_event.guild_id == sf(guild["id"]) and join_event.user_ids is None
    assert join_event.data["user"]["id"] == app["id"] and join_event.data["roles"] == [role["id"]]
    assert join_event.data["guild_id"] == guild["id"]

    # The bot now sees the guild, with the role's permissions.
    as_bot = bot_auth(app["token"])
    assert (await api.get(f"/guilds/{guild['id']}", headers=as_bot)).status_code == 200
    listed = (await api.get("/users/@me/guilds", headers=as_bot)).json()
    assert [(g["id"], g["owner"]) for g in listed] == [(guild["id"], False)]
    assert int(listed[0]["permissions"]) & int(SEND) == int(SEND)

    # Authorizing again changes nothing.
    async with services.bus.subscribe() as stream:
        again = await api.post(
            "/oauth2/authorize", json=_authorize(app, guild, str(int(SEND))), headers=alice
        )
        assert drain(stream) == []
    assert again.status_code == 200 and again.json()["joined"] is False
    roles = await services.storage.roles.list_roles(sf(guild["id"]))
    assert len(roles) == 2  # @everyone and the one managed role


@bounded
async def test_no_permissions_means_no_role(api, services):
    alice, _ = await _user(api, "alice")
    guild = await _guild(api, alice)
    app = await _app(api, alice)
    added = await api.post("/oauth2/authorize", json=_authorize(app, guild, 0), headers=alice)
    assert added.status_code == 200 and added.json()["role"] is None
    member = await services.storage.members.get_member(sf(guild["id"]), sf(app["id"]))
    assert member is not None and member.role_ids == ()
    assert len(await services.storage.roles.list_roles(sf(guild["id"]))) == 1


@bounded
async def test_who_may_authorize(api, services):
    alice, _ = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    carol, _ = await _user(api, "carol")
    guild = await _guild(api, alice)
    guild_id = sf(guild["id"])
    app = await _app(api, alice)
    await services.storage.members.add_member(guild_id, sf(bob_id), datetime.now(UTC))

    member_only = await api.post("/oauth2/authorize", json=_authorize(app, guild), headers=bob)
    assert _error(member_only) == (403, 50013)
    outsider = await api.post("/oauth2/authorize", json=_authorize(app, guild), headers=carol)
    assert _error(outsider) == (404, 10004)
    as_bot = await api.post(
        "/oauth2/authorize", json=_authorize(app, guild), headers=bot_auth(app["token"])
    )
    assert _error(as_bot) == (403, 20001)
    assert await services.storage.members.get_member(guild_id, sf(app["id"])) is None

    # With MANAGE_GUILD bob may add it, but grant only what he holds himself.
    manager = await services.storage.roles.create_role(
        Role(services.ids.next_id(), guild_id, "managers", Permission.MANAGE_GUILD, position=2)
    )
    await services.storage.members.add_member_role(guild_id, sf(bob_id), manager.id)
    too_much = await api.post(
        "/oauth2/authorize",
        json=_authorize(app, guild, str(int(Permission.ADMINISTRATOR))),
        headers=bob,
    )
    assert _error(too_much) == (403, 50013)
    assert await services.storage.members.get_member(guild_id, sf(app["id"])) is None
    allowed = await api.post(
        "/oauth2/authorize", json=_authorize(app, guild, int(SEND)), headers=bob
    )
    assert allowed.status_code == 200, allowed.text
    assert await services.storage.members.get_member(guild_id, sf(app["id"])) is not None


@bounded
async def test_a_banned_bot_cannot_be_added(api, services):
    alice, alice_id = await _user(api, "alice")
    guild = await _guild(api, alice)
    app = await _app(api, alice)
    await services.storage.bans.ban(sf(guild["id"]), sf(app["id"]), None, sf(alice_id))
    refused = await api.post("/oauth2/authorize", json=_authorize(app, guild, 8), headers=alice)
    assert _error(refused) == (403, 40007)
    assert await services.storage.members.get_member(sf(guild["id"]), sf(app["id"])) is None
    assert len(await services.storage.roles.list_roles(sf(guild["id"]))) == 1


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"scope": "identify"}, 400, 50035, "scope"),
        ({"scope": "bot identify"}, 400, 50035, "scope"),
        ({"scope": 5}, 400, 50035, "scope"),
        ({"client_id": "abc"}, 400, 50035, "client_id"),
        ({"client_id": True}, 400, 50035, "client_id"),
        ({"guild_id": None}, 400, 50035, "guild_id"),
        ({"guild_id": "1x"}, 400, 50035, "guild_id"),
        ({"permissions": "abc"}, 400, 50035, "permissions"),
        ({"permissions": True}, 400, 50035, "permissions"),
        ({"permissions": -1}, 400, 50035, "permissions"),
        ({"authorize": True}, 400, 50035, "authorize"),
        ({"client_id": "987654321"}, 404, 10002, None),
        ({"guild_id": "987654321"}, 404, 10004, None),
    ],
)
@bounded
async def test_bad_authorize_forms_are_refused_and_nothing_is_stored(
    api, services, change, status, code, field
):
    alice, _ = await _user(api, "alice")
    guild = await _guild(api, alice)
    app = await _app(api, alice)
    form = {**_authorize(app, guild, "2048"), **change}
    response = await api.post("/oauth2/authorize", json=form, headers=alice)
    assert _error(response) == (status, code), response.text
    if field is not None:
        assert field in response.json()["errors"]
    assert await services.storage.members.count_members(sf(guild["id"])) == 1
    assert len(await services.storage.roles.list_roles(sf(guild["id"]))) == 1


@bounded
async def test_missing_fields_are_each_named(api):
    alice, _ = await _user(api, "alice")
    response = await api.post("/oauth2/authorize", json={}, headers=alice)
    assert response.status_code == 400
    assert {"client_id", "scope", "guild_id"} <= set(response.json()["errors"])


@bounded
async def test_openapi_describes_these_routes(api):
    document = (await api.get("/openapi.json")).json()
    paths = document["paths"]
    assert "requestBody" in paths["/api/v10/oauth2/authorize"]["post"]
    assert "requestBody" in paths["/api/v10/applications"]["post"]
    assert "requestBody" in paths["/api/v10/users/@me/channels"]["post"]
    assert "requestBody" in paths["/api/v10/users/@me"]["patch"]
