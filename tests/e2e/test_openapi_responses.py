"""Every operation's real answers match what the OpenAPI document says of them.

A scripted tour makes each operation succeed once (and answer a few errors), as
clients use them, and checks each answer's status, body and headers against the
document: the fuzzer reaches only what its guesses and links happen to reach.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs  # schemathesis's validator, pinned with it
import pytest

from tests.e2e.conftest import account, bearer, bounded


class Contract:
    """The document, and which operations have answered with success so far."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.operations = {
            operation["operationId"]: operation
            for item in spec["paths"].values()
            for operation in item.values()
        }
        self.succeeded: set[str] = set()

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            section, name = node["$ref"].removeprefix("#/components/").split("/")
            node = self.spec["components"][section][name]
        return node

    def check(self, operation_id: str, response: httpx.Response, status: int) -> Any:
        """The response has ``status``, and its body and headers are as documented."""
        assert response.status_code == status, (operation_id, response.text)
        documented = self.operations[operation_id]["responses"].get(str(status))
        assert documented is not None, f"{operation_id} does not document {status}"
        documented = self._resolve(documented)
        for name, header in documented.get("headers", {}).items():
            if self._resolve(header).get("required"):
                assert name in response.headers, (operation_id, name)
        content = documented.get("content")
        if content is None:
            assert response.content == b"", operation_id
            body = None
        else:
            assert response.headers["content-type"] == "application/json", operation_id
            body = response.json()
            schema = {
                **content["application/json"]["schema"],
                "components": self.spec["components"],
            }
            validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
            errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
            assert errors == [], (operation_id, errors[:5], body)
        if 200 <= status < 300:
            self.succeeded.add(operation_id)
        return body


@bounded
async def test_every_operation_answers_as_documented(api: httpx.AsyncClient):
    contract = Contract((await api.get("/openapi.json")).json())
    c = contract.check

    # Accounts: the owner, a member, a user who only gets banned.
    registered = await api.post(
        "/auth/register",
        json={"username": "tour_owner", "email": "owner@example.com", "password": "correct horse"},
    )
    tokens = c("register", registered, 201)
    owner = bearer(tokens["access_token"])
    c(
        "login",
        await api.post(
            "/auth/login", json={"email": "owner@example.com", "password": "correct horse"}
        ),
        200,
    )
    refreshed = await api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    owner = bearer(c("refresh", refreshed, 200)["access_token"])
    member, member_id = await account(api, "tour_member")
    _, outsider_id = await account(api, "tour_outsider")

    me = c("get_me", await api.get("/users/@me", headers=owner), 200)
    c("modify_me", await api.patch("/users/@me", json={"global_name": "Tour"}, headers=owner), 200)
    c("get_user", await api.get(f"/users/{member_id}", headers=owner), 200)
    c("get_my_settings", await api.get("/users/@me/settings", headers=owner), 200)
    c(
        "modify_my_settings",
        await api.patch(
            "/users/@me/settings", json={"allow_dms_from_anyone": False}, headers=owner
        ),
        200,
    )

    # A guild, its channels and its members.
    guild = c("create_guild", await api.post("/guilds", json={"name": "Tour"}, headers=owner), 201)
    gid, general = guild["id"], guild["channels"][0]["id"]
    c("get_guild", await api.get(f"/guilds/{gid}?with_counts=true", headers=owner), 200)
    c(
        "modify_guild",
        await api.patch(f"/guilds/{gid}", json={"description": "d"}, headers=owner),
        200,
    )
    c("list_my_guilds", await api.get("/users/@me/guilds?with_counts=true", headers=owner), 200)
    category = c(
        "create_channel",
        await api.post(f"/guilds/{gid}/channels", json={"name": "Cat", "type": 4}, headers=owner),
        201,
    )
    text = c(
        "create_channel",
        await api.post(
            f"/guilds/{gid}/channels",
            json={"name": "two", "topic": "t", "parent_id": category["id"]},
            headers=owner,
        ),
        201,
    )
    cid = text["id"]
    c("list_channels", await api.get(f"/guilds/{gid}/channels", headers=owner), 200)
    c("get_channel", await api.get(f"/channels/{cid}", headers=owner), 200)
    c(
        "modify_channel",
        await api.patch(f"/channels/{cid}", json={"topic": "u"}, headers=owner),
        200,
    )
    c(
        "reorder_channels",
        await api.patch(
            f"/guilds/{gid}/channels", json=[{"id": cid, "position": 3}], headers=owner
        ),
        204,
    )
    c(
        "put_overwrite",
        await api.put(
            f"/channels/{cid}/permissions/{gid}",
            json={"type": 0, "allow": "0", "deny": "0"},
            headers=owner,
        ),
        204,
    )
    c(
        "delete_overwrite",
        await api.delete(f"/channels/{cid}/permissions/{gid}", headers=owner),
        204,
    )

    invite = c(
        "create_invite",
        await api.post(f"/channels/{cid}/invites", json={"max_age": 60}, headers=owner),
        200,
    )
    code = invite["code"]
    c("get_invite", await api.get(f"/invites/{code}?with_counts=true", headers=member), 200)
    c("accept_invite", await api.post(f"/invites/{code}", headers=member), 200)
    c("list_channel_invites", await api.get(f"/channels/{cid}/invites", headers=owner), 200)
    c("list_guild_invites", await api.get(f"/guilds/{gid}/invites", headers=owner), 200)
    c("delete_invite", await api.delete(f"/invites/{code}", headers=owner), 200)

    c("list_members", await api.get(f"/guilds/{gid}/members?limit=10", headers=owner), 200)
    c(
        "search_members",
        await api.get(f"/guilds/{gid}/members/search?query=tour", headers=owner),
        200,
    )
    c("get_member", await api.get(f"/guilds/{gid}/members/{member_id}", headers=owner), 200)
    c(
        "modify_member",
        await api.patch(f"/guilds/{gid}/members/{member_id}", json={"nick": "m"}, headers=owner),
        200,
    )
    c(
        "modify_current_member",
        await api.patch(f"/guilds/{gid}/members/@me", json={"nick": "o"}, headers=owner),
        200,
    )

    # Roles.
    role = c(
        "create_role",
        await api.post(f"/guilds/{gid}/roles", json={"name": "r", "hoist": True}, headers=owner),
        200,
    )
    rid = role["id"]
    c("list_roles", await api.get(f"/guilds/{gid}/roles", headers=owner), 200)
    c(
        "modify_role",
        await api.patch(f"/guilds/{gid}/roles/{rid}", json={"color": 5}, headers=owner),
        200,
    )
    c(
        "reorder_roles",
        await api.patch(f"/guilds/{gid}/roles", json=[{"id": rid, "position": 1}], headers=owner),
        200,
    )
    member_role = f"/guilds/{gid}/members/{member_id}/roles/{rid}"
    c("add_member_role", await api.put(member_role, headers=owner), 204)
    c("remove_member_role", await api.delete(member_role, headers=owner), 204)
    c("delete_role", await api.delete(f"/guilds/{gid}/roles/{rid}", headers=owner), 204)

    # Messages, reactions, pins, typing, search.
    posts = f"/channels/{cid}/messages"
    first = c(
        "create_message", await api.post(posts, json={"content": "hello tour"}, headers=owner), 200
    )
    reply = c(
        "create_message",
        await api.post(
            posts,
            json={"content": "reply", "message_reference": {"message_id": first["id"]}},
            headers=member,
        ),
        200,
    )
    mid = first["id"]
    c("list_messages", await api.get(f"{posts}?limit=5", headers=owner), 200)
    c("get_message", await api.get(f"{posts}/{reply['id']}", headers=owner), 200)
    c(
        "edit_message",
        await api.patch(f"{posts}/{mid}", json={"content": "hello again"}, headers=owner),
        200,
    )
    reactions = f"{posts}/{mid}/reactions"
    thumbs = "%F0%9F%91%8D"
    c("add_reaction", await api.put(f"{reactions}/{thumbs}/@me", headers=owner), 204)
    c("add_reaction", await api.put(f"{reactions}/{thumbs}/@me", headers=member), 204)
    c("list_reaction_users", await api.get(f"{reactions}/{thumbs}", headers=owner), 200)
    c("get_message", await api.get(f"{posts}/{mid}", headers=owner), 200)  # with its reactions
    c("remove_own_reaction", await api.delete(f"{reactions}/{thumbs}/@me", headers=owner), 204)
    c("remove_reaction", await api.delete(f"{reactions}/{thumbs}/{member_id}", headers=owner), 204)
    c("add_reaction", await api.put(f"{reactions}/{thumbs}/@me", headers=owner), 204)
    c("clear_emoji", await api.delete(f"{reactions}/{thumbs}", headers=owner), 204)
    c("clear_reactions", await api.delete(reactions, headers=owner), 204)
    c("pin", await api.put(f"/channels/{cid}/pins/{mid}", headers=owner), 204)
    c("list_pins", await api.get(f"/channels/{cid}/pins", headers=owner), 200)
    c("unpin", await api.delete(f"/channels/{cid}/pins/{mid}", headers=owner), 204)
    c("start_typing", await api.post(f"/channels/{cid}/typing", headers=owner), 204)
    c(
        "search_messages",
        await api.get(f"/guilds/{gid}/messages/search?content=hello", headers=owner),
        200,
    )
    extra = c("create_message", await api.post(posts, json={"content": "x"}, headers=owner), 200)
    c(
        "bulk_delete",
        await api.post(
            f"{posts}/bulk-delete", json={"messages": [reply["id"], extra["id"]]}, headers=owner
        ),
        204,
    )
    c("delete_message", await api.delete(f"{posts}/{mid}", headers=owner), 204)

    # Direct messages between people who share the guild.
    dm = c(
        "open_dm",
        await api.post("/users/@me/channels", json={"recipient_id": me["id"]}, headers=member),
        200,
    )
    c(
        "create_message",
        await api.post(f"/channels/{dm['id']}/messages", json={"content": "hi"}, headers=member),
        200,
    )
    c("get_channel", await api.get(f"/channels/{dm['id']}", headers=owner), 200)
    c("list_my_dms", await api.get("/users/@me/channels", headers=owner), 200)

    # Bans.
    ban = f"/guilds/{gid}/bans/{outsider_id}"
    c("ban", await api.put(ban, json={"delete_message_seconds": 0}, headers=owner), 204)
    c("get_ban", await api.get(ban, headers=owner), 200)
    c("list_bans", await api.get(f"/guilds/{gid}/bans", headers=owner), 200)
    c("unban", await api.delete(ban, headers=owner), 204)

    # An application, its bot, and the gateway.
    app = c(
        "create_application",
        await api.post("/applications", json={"name": "Tour Bot"}, headers=owner),
        201,
    )
    c("list_applications", await api.get("/applications", headers=owner), 200)
    c("get_application", await api.get(f"/applications/{app['id']}", headers=owner), 200)
    bot = {"Authorization": f"Bot {app['token']}"}
    c("get_current_application", await api.get("/applications/@me", headers=bot), 200)
    c("get_current_oauth2_application", await api.get("/oauth2/applications/@me", headers=bot), 200)
    c("get_gateway_bot", await api.get("/gateway/bot", headers=bot), 200)
    c(
        "authorize",
        await api.post(
            "/oauth2/authorize",
            json={"client_id": app["id"], "scope": "bot", "guild_id": gid, "permissions": "0"},
            headers=owner,
        ),
        200,
    )
    c("reset_bot_token", await api.post(f"/applications/{app['id']}/bot/reset", headers=owner), 200)
    c("get_gateway", await api.get("/gateway"), 200)
    c("health", await api.get("/health"), 200)
    c("ready", await api.get("/ready"), 200)

    # Errors, in the documented error body.
    c("get_guild", await api.get(f"/guilds/{gid}"), 401)
    c("get_guild", await api.get("/guilds/12", headers=owner), 404)
    c("get_guild", await api.get("/guilds/abc", headers=owner), 400)
    c("delete_guild", await api.delete(f"/guilds/{gid}", headers=member), 403)
    c(
        "create_guild",
        await api.post(
            "/guilds", content=b"{", headers=owner | {"Content-Type": "application/json"}
        ),
        400,
    )
    c("create_guild", await api.post("/guilds", content=b"name", headers=owner), 415)

    # Endings: a member leaves, a channel and the guild go, the session ends, the account goes.
    kicked = await account(api, "tour_kicked")
    invite = c("create_invite", await api.post(f"/channels/{general}/invites", headers=owner), 200)
    c("accept_invite", await api.post(f"/invites/{invite['code']}", headers=kicked[0]), 200)
    c("kick_member", await api.delete(f"/guilds/{gid}/members/{kicked[1]}", headers=owner), 204)
    c("leave_guild", await api.delete(f"/users/@me/guilds/{gid}", headers=member), 204)
    c("delete_channel", await api.delete(f"/channels/{cid}", headers=owner), 200)
    c("delete_guild", await api.delete(f"/guilds/{gid}", headers=owner), 204)
    c("logout", await api.post("/auth/logout", headers=member), 204)
    c(
        "delete_me",
        await api.post("/users/@me/delete", json={"password": "correct horse"}, headers=owner),
        204,
    )

    # Every operation the document describes has succeeded once.
    assert set(contract.operations) - contract.succeeded == set()


@pytest.mark.parametrize("services", [0.001], indirect=True)  # one request per bucket
@bounded
async def test_a_rate_limited_answer_is_as_documented(api: httpx.AsyncClient):
    contract = Contract((await api.get("/openapi.json")).json())
    body = {"username": "limited", "email": "limited@example.com", "password": "correct horse"}
    answers = [await api.post("/auth/register", json=body) for _ in range(2)]
    limited = contract.check("register", answers[-1], 429)
    assert limited["retry_after"] > 0
