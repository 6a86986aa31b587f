"""Every REST route of the API, and who may do what with it: the rows of the matrix.

Placeholders come from ``World.ids`` (``guild``, ``public``, ``hidden``,
``hidden_message``, ``dm``, roles, invites, applications, people by name),
``self`` (the actor's own id) and whatever a row's setup makes for it.
A route may have several rows (the hidden channel, a DM, a hidden message
asked for through the public channel ...). test_authorization_matrix.py
fails when a route has none.
"""

from __future__ import annotations

import secrets as random_tokens
from typing import Any

import httpx

from tests.e2e.authz_cases import (
    OK,
    REFUSED,
    Case,
    Control,
    Skip,
    anyone,
    everyone_denied,
    guild_permission,
    hidden,
    hidden_act,
    members,
)
from tests.e2e.authz_world import (
    ADMINISTRATOR,
    HUMAN_ACTORS,
    MANAGE_WEBHOOKS,
    MANAGER_PERMISSIONS,
    PASSWORD,
    SEARCH_WORD,
    SEND_MESSAGES,
    THUMBS_UP,
    VIEW_CHANNEL,
    World,
)

MAY_MANAGE = Skip("holds the permission: allowed, and trying it only changes the world")
MAY_LEAVE = Skip("a member may leave")
MAY_JOIN = Skip("anyone holding the code may join")
MAY_POST = Skip("sees the channel and may send in it")
BOT_ONLY = 403  # 20002: only a bot token names an application or asks for /gateway/bot
HUMANS_ONLY = 403  # 20001: bots may not use the route


# -- setups: fresh targets for a row (its actors share them) or for its control ----------


def fresh_hidden_channel(world: World) -> dict[str, Any]:
    return {"target": world.hidden_channel("fresh hidden channel")}


def fresh_visible_channel(world: World) -> dict[str, Any]:
    return {"open": world.visible_channel("open")}


def fresh_muted_channel(world: World) -> dict[str, Any]:
    """A visible channel where nobody but the owner may send."""
    channel = world.visible_channel("muted")
    path = f"/channels/{channel}/permissions/{world.ids['guild']}"
    world.ok("owner", "PUT", path, {"type": 0, "deny": str(SEND_MESSAGES)})
    return {"open": channel}


def fresh_hidden_in_lobby(world: World) -> dict[str, Any]:
    return {"target": world.hidden_channel("fresh hidden channel"), "lobby": world.category()}


def fresh_hidden_message(world: World) -> dict[str, Any]:
    return {"message": world.hidden_message("message hidden")}


def fresh_reacted_message(world: World) -> dict[str, Any]:
    return {"message": world.hidden_message("reacted message", reacted=True)}


def fresh_pinned_message(world: World) -> dict[str, Any]:
    return {"message": world.hidden_message("pinned message", pinned=True)}


def fresh_message_pair(world: World) -> dict[str, Any]:
    return {
        "first": world.hidden_message("first message"),
        "second": world.hidden_message("second message"),
    }


def fresh_dm_message(world: World) -> dict[str, Any]:
    text = world.secret("DM", f"between us {random_tokens.token_hex(4)}")
    sent = world.ok("owner", "POST", f"/channels/{world.ids['dm']}/messages", {"content": text})
    return {"message": world.secret("DM message id", sent["id"])}


def fresh_role(world: World) -> dict[str, Any]:
    role = world.ok("owner", "POST", f"/guilds/{world.ids['guild']}/roles", {"name": "doomed"})
    return {"role": role["id"]}


def fresh_application(world: World) -> dict[str, Any]:
    return {"app": world.application("Spare")["id"]}


def fresh_invite(channel: str) -> Any:
    def setup(world: World) -> dict[str, Any]:
        body = {"max_age": 0, "unique": True}
        code = world.ok("owner", "POST", f"/channels/{world.ids[channel]}/invites", body)["code"]
        if channel == "hidden":
            world.secret("invite to #hidden", code)
        return {"code": code}

    return setup


def throwaway_guild(world: World) -> dict[str, Any]:
    return {"guild": world.ok("owner", "POST", "/guilds", {"name": "Throwaway"})["id"]}


def target(name: str) -> Any:
    def setup(world: World) -> dict[str, Any]:
        return {"target": world.ids[name]}

    return setup


def instead_of_self(name: str) -> Any:
    """For a control: the row's ``{self}`` becomes ``name`` (the control acts on someone else)."""

    def setup(world: World) -> dict[str, Any]:
        return {"self": world.ids[name]}

    return setup


def bystander_with_seers(world: World) -> dict[str, Any]:
    bystander = world.ids["bystander"]
    world.ok(
        "owner",
        "PUT",
        f"/guilds/{world.ids['guild']}/members/{bystander}/roles/{world.ids['seers']}",
    )
    return {"target": bystander}


def spare_position(world: World) -> dict[str, Any]:
    roles = world.ok("owner", "GET", f"/guilds/{world.ids['guild']}/roles")
    return {"position": next(r["position"] for r in roles if r["id"] == world.ids["spare"])}


def banned_exile(world: World) -> dict[str, Any]:
    world.ok("owner", "PUT", f"/guilds/{world.ids['guild']}/bans/{world.ids['exile']}")
    return {"self": world.ids["exile"]}


def throwaway_account(world: World) -> dict[str, Any]:
    """A new account of nobody in the world, for a control that changes or ends it."""
    person = world.register(f"drifter{random_tokens.token_hex(3)}")
    return {"authorization": person.headers}


def fresh_session(world: World) -> dict[str, Any]:
    """A second login of the bystander: its tokens, to log out or refresh."""
    email = world.people["bystander"].email
    response = world.call(None, "POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    tokens = response.json()
    return {
        "refresh": world.secret(
            "a second session's refresh token", tokens["refresh_token"], frozenset()
        ),
        "authorization": {"Authorization": f"Bearer {tokens['access_token']}"},
    }


# -- cleanups and undos ------------------------------------------------------------------


def drop(*names: str) -> Any:
    """Delete the fresh channels (or messages) the setup made."""

    def cleanup(world: World, ctx: dict[str, Any]) -> None:
        for name in names:
            if name in ("message", "first", "second"):
                world.call(
                    "owner", "DELETE", f"/channels/{world.ids['hidden']}/messages/{ctx[name]}"
                )
            elif name == "role":
                world.call("owner", "DELETE", f"/guilds/{world.ids['guild']}/roles/{ctx[name]}")
            else:
                world.delete_channel(ctx[name])

    return cleanup


def drop_dm_message(world: World, ctx: dict[str, Any]) -> None:
    world.call("owner", "DELETE", f"/channels/{world.ids['dm']}/messages/{ctx['message']}")


def delete_created_channel(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    world.delete_channel(response.json()["id"])


def delete_created_role(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    world.ok("owner", "DELETE", f"/guilds/{world.ids['guild']}/roles/{response.json()['id']}")


def kick_added_bot(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    world.ok("owner", "DELETE", f"/guilds/{world.ids['guild']}/members/{ctx['app']}")


def bystander_back(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    world.rejoin("bystander")


def bystander_plain(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    path = f"/guilds/{world.ids['guild']}/members/{world.ids['bystander']}"
    world.ok("owner", "PATCH", path, {"roles": []})


def exile_again(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    world.ok("owner", "PUT", f"/guilds/{world.ids['guild']}/bans/{world.ids['exile']}")


def managers_restored(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    permissions = str(MANAGER_PERMISSIONS | VIEW_CHANNEL | SEND_MESSAGES)
    path = f"/guilds/{world.ids['guild']}/roles/{world.ids['managers']}"
    world.ok("owner", "PATCH", path, {"permissions": permissions})


def bystander_still_signed_in(world: World, ctx: dict[str, Any], response: httpx.Response) -> None:
    me = world.call("bystander", "GET", "/users/@me")
    assert me.status_code == 200, "logging out one session ended another"


# -- checks: a denied request left its target as it was ----------------------------------


def still_signed_in(world: World, ctx: dict[str, Any]) -> None:
    if ctx["actor"] != "anonymous":
        me = world.call(ctx["actor"], "GET", "/users/@me")
        assert me.status_code == 200, "the account or its login is gone"


def still_hidden(world: World, ctx: dict[str, Any]) -> None:
    overwrites = {o["id"]: o for o in world.channel(ctx["target"])["permission_overwrites"]}
    everyone = overwrites.get(world.ids["guild"])
    assert everyone is not None and int(everyone["deny"]) & VIEW_CHANNEL, "the channel was exposed"


def still_there(world: World, ctx: dict[str, Any]) -> None:
    message = world.message(world.ids["hidden"], ctx["message"])
    assert "classified" in message["content"], "the hidden message was changed"


def pair_still_there(world: World, ctx: dict[str, Any]) -> None:
    for name in ("first", "second"):
        world.message(world.ids["hidden"], ctx[name])


def still_reacted(world: World, ctx: dict[str, Any]) -> None:
    reactions = world.message(world.ids["hidden"], ctx["message"]).get("reactions") or []
    assert [r["count"] for r in reactions] == [1], f"reactions changed: {reactions}"


def still_unpinned(world: World, ctx: dict[str, Any]) -> None:
    assert world.message(world.ids["hidden"], ctx["message"])["pinned"] is False


def still_pinned(world: World, ctx: dict[str, Any]) -> None:
    assert world.message(world.ids["hidden"], ctx["message"])["pinned"] is True


def open_channel_unmoved(world: World, ctx: dict[str, Any]) -> None:
    assert world.channel(ctx["open"])["parent_id"] is None, "moved under the hidden category"


def administrator_not_conferred(world: World, ctx: dict[str, Any]) -> None:
    sent = world.call("manager", "POST", f"/channels/{ctx['open']}/messages", {"content": "hi"})
    assert sent.status_code == 403, "an overwrite's ADMINISTRATOR let the manager past a deny"


def no_overwrite_for_manager(world: World, ctx: dict[str, Any]) -> None:
    overwrites = world.channel(ctx["open"])["permission_overwrites"]
    assert world.ids["manager"] not in {o["id"] for o in overwrites}, "the manager granted himself"


# -- the rows ----------------------------------------------------------------------------

G = "/guilds/{guild}"
HIDDEN_MESSAGE = "/channels/{hidden}/messages/{message}"
# The hidden message asked for through the public channel, where the caller may act.
SMUGGLED = "/channels/{public}/messages/{message}"
# An invite's preview shows its guild to whoever holds the code, member or not.
SHOWN_BY_AN_INVITE = frozenset({"guild name"})


def _public_rows() -> list[Case]:
    return [
        Case("GET", "/health", anyone(), public=True, no_control="open to all"),
        Case("GET", "/ready", anyone(), public=True, no_control="open to all"),
        Case("GET", "/gateway", anyone(), public=True, no_control="open to all"),
        Case("GET", "/openapi.json", anyone(), public=True, no_control="open to all"),
        Case(
            "POST",
            "/auth/register",
            {a: Skip("registration does not depend on who asks") for a in (*HUMAN_ACTORS, "bot")},
            body={
                "username": "{username}",
                "email": "{username}@example.com",
                "password": PASSWORD,
            },
            setup=lambda world: {"username": f"newcomer_{random_tokens.token_hex(4)}"},
            public=True,
            no_control="the anonymous try is the control",
        ),
        Case(
            "POST",
            "/auth/login",
            {a: Skip("logging in does not depend on who asks") for a in (*HUMAN_ACTORS, "bot")},
            body={"email": "{bystander_email}", "password": PASSWORD},
            setup=lambda world: {"bystander_email": world.people["bystander"].email},
            public=True,
            no_control="the anonymous try is the control",
        ),
        Case(
            "POST",
            "/auth/refresh",
            {a: Skip("a refresh token is its own credential") for a in (*HUMAN_ACTORS, "bot")},
            body={"refresh_token": "{refresh}"},
            setup=fresh_session,
            public=True,
            no_control="the anonymous try is the control",
        ),
        Case(
            "POST",
            "/auth/logout",
            {
                a: Skip("ends the caller's own session, nobody else's")
                for a in (*HUMAN_ACTORS, "bot")
            },
            control=Control("bystander", setup=fresh_session, undo=bystander_still_signed_in),
        ),
    ]


_HUMANS: dict[str, Any] = {a: OK for a in HUMAN_ACTORS}
# Checking a password costs an Argon2 hash: the member's try stands for every person's.
_OWN_ACCOUNT = Skip("acts on the caller's own account alone: the member's try stands for it")


def _one_person_for_all(status: int) -> dict[str, Any]:
    return {**{a: _OWN_ACCOUNT for a in HUMAN_ACTORS}, "member": status, "bot": HUMANS_ONLY}


def _user_rows() -> list[Case]:
    return [
        Case("GET", "/users/@me", anyone(), control=Control()),
        Case("PATCH", "/users/@me", anyone(), body={"global_name": "Matrix"}, control=Control()),
        Case("GET", "/users/@me/guilds", anyone(), control=Control(shows=("guild",))),
        Case("GET", "/users/@me/channels", anyone(), control=Control(shows=("dm",))),
        Case(
            "POST",
            "/users/@me/channels",
            # 50007 without a guild in common (the banned user's old DM with the owner would
            # reopen, hence the viewer); a DM with oneself is a bad request.
            anyone(outsider=403, banned=403, viewer=400),
            label="DM with the viewer",
            body={"recipient_id": "{viewer}"},
            control=Control("bystander"),
        ),
        Case(
            "DELETE",
            "/users/@me/guilds/{guild}",
            members(member=MAY_LEAVE, viewer=MAY_LEAVE, manager=MAY_LEAVE, bot=MAY_LEAVE),
            control=Control("bystander", undo=bystander_back),
        ),
        Case("GET", "/users/{viewer}", anyone(), control=Control()),
        Case(
            "PATCH",
            "/users/@me",
            _one_person_for_all(400),
            label="a new password, the current one wrong",
            body={"password": "not the password", "new_password": "a-fresh-Passw0rd!"},
            check=still_signed_in,
            control=Control(
                body={"password": PASSWORD, "new_password": "a-fresh-Passw0rd!"},
                setup=throwaway_account,
            ),
        ),
        Case(
            "POST",
            "/users/@me/delete",
            _one_person_for_all(400),
            label="with a wrong password",
            body={"password": "not the password"},
            check=still_signed_in,
            control=Control(body={"password": PASSWORD}, setup=throwaway_account),
        ),
        Case("GET", "/users/@me/settings", {**_HUMANS, "bot": HUMANS_ONLY}, control=Control()),
        Case(
            "PATCH",
            "/users/@me/settings",
            {**_HUMANS, "bot": HUMANS_ONLY},
            body={"allow_dms_from_anyone": False},
            control=Control(),
        ),
    ]


def _guild_rows() -> list[Case]:
    everyone_forbidden = guild_permission(manager=403)
    return [
        Case(
            "POST",
            "/guilds",
            anyone(),
            body={"name": "Their own"},
            control=Control(),
        ),
        Case("GET", G, members(), control=Control(shows=("seers",))),
        Case(
            "PATCH",
            G,
            everyone_forbidden,
            label="rename",
            body={"name": "Taken over"},
            control=Control(body={"name": "{guild_name}"}),
        ),
        Case(
            "PATCH",
            G,
            everyone_forbidden,
            label="take ownership",
            body={"owner_id": "{self}"},
            control=Control(),
        ),
        Case(
            "DELETE",
            G,
            everyone_forbidden,
            control=Control(setup=throwaway_guild),
        ),
        Case("GET", f"{G}/channels", members(), control=Control(shows=("hidden",))),
        Case(
            "POST",
            f"{G}/channels",
            guild_permission(manager=MAY_MANAGE),
            label="plain",
            body={"name": "intruder"},
            control=Control(undo=delete_created_channel),
        ),
        Case(
            "POST",
            f"{G}/channels",
            guild_permission(manager=403),
            label="overwrite granting the caller what he lacks",
            body={
                "name": "fiefdom",
                "permission_overwrites": [
                    {"id": "{self}", "type": 1, "allow": str(MANAGE_WEBHOOKS)}
                ],
            },
            control=Control(undo=delete_created_channel),
        ),
        Case(
            "POST",
            f"{G}/channels",
            guild_permission(manager=REFUSED),
            label="under the hidden category",
            body={"name": "squatter", "parent_id": "{hidden_category}"},
            control=Control(undo=delete_created_channel),
        ),
        Case(
            "PATCH",
            f"{G}/channels",
            guild_permission(manager=REFUSED),
            label="move a hidden channel",
            body=[{"id": "{target}", "position": 7}],
            setup=fresh_hidden_channel,
            cleanup=drop("target"),
            control=Control(setup=fresh_hidden_channel),
        ),
        Case(
            "PATCH",
            f"{G}/channels",
            guild_permission(manager=REFUSED),
            label="sync a hidden channel with a visible category",
            body=[{"id": "{target}", "parent_id": "{lobby}", "lock_permissions": True}],
            setup=fresh_hidden_in_lobby,
            check=still_hidden,
            cleanup=drop("target", "lobby"),
            control=Control(setup=fresh_hidden_in_lobby),
        ),
        Case(
            "PATCH",
            f"{G}/channels",
            guild_permission(manager=REFUSED),
            label="move a channel into the hidden category",
            body=[{"id": "{open}", "parent_id": "{hidden_category}"}],
            setup=fresh_visible_channel,
            check=open_channel_unmoved,
            cleanup=drop("open"),
            control=Control(setup=fresh_visible_channel),
        ),
        Case(
            "GET",
            f"{G}/invites",
            guild_permission(manager=403),
            control=Control(shows=("hidden_invite",)),
        ),
        Case(
            "GET",
            f"{G}/messages/search?content={SEARCH_WORD}",
            members(),
            control=Control(shows=("hidden_message", "public_message")),
        ),
        Case(
            "GET",
            f"{G}/messages/search?content={SEARCH_WORD}&channel_id={{hidden}}",
            members(),
            label="in the hidden channel",
            control=Control(shows=("hidden_message",)),
        ),
    ]


def _member_rows() -> list[Case]:
    return [
        Case("GET", f"{G}/members?limit=100", members(), control=Control(shows=("viewer",))),
        Case(
            "GET", f"{G}/members/search?query=viewer", members(), control=Control(shows=("viewer",))
        ),
        Case("GET", f"{G}/members/{{viewer}}", members(), control=Control(shows=("seers",))),
        Case("PATCH", f"{G}/members/@me", members(), body={"nick": "matrix"}, control=Control()),
        Case(
            "PATCH",
            f"{G}/members/{{self}}",
            guild_permission(manager=403),
            label="give oneself the seers role",
            body={"roles": ["{seers}"]},
            control=Control(setup=instead_of_self("bystander"), undo=bystander_plain),
        ),
        Case(
            "PATCH",
            f"{G}/members/{{owner}}",
            guild_permission(manager=403),
            label="rename the owner",
            body={"nick": "usurped"},
            control=Control(body={"nick": None}),
        ),
        Case(
            "DELETE",
            f"{G}/members/{{target}}",
            guild_permission(manager=403),
            label="kick the viewer, above the manager",
            setup=target("viewer"),
            control=Control(setup=target("bystander"), undo=bystander_back),
        ),
        Case(
            "PUT",
            f"{G}/members/{{self}}/roles/{{seers}}",
            guild_permission(manager=403),
            label="take the seers role",
            control=Control(setup=instead_of_self("bystander"), undo=bystander_plain),
        ),
        Case(
            "DELETE",
            f"{G}/members/{{target}}/roles/{{seers}}",
            guild_permission(manager=403),
            label="strip the viewer",
            setup=target("viewer"),
            control=Control(setup=bystander_with_seers),
        ),
    ]


def _role_rows() -> list[Case]:
    return [
        Case("GET", f"{G}/roles", members(), control=Control(shows=("seers",))),
        Case(
            "POST",
            f"{G}/roles",
            guild_permission(manager=MAY_MANAGE),
            label="plain",
            body={"name": "usurpers"},
            control=Control(undo=delete_created_role),
        ),
        Case(
            "POST",
            f"{G}/roles",
            guild_permission(manager=403),
            label="with ADMINISTRATOR",
            body={"name": "crown", "permissions": str(ADMINISTRATOR)},
            control=Control(undo=delete_created_role),
        ),
        Case(
            "PATCH",
            f"{G}/roles",
            guild_permission(manager=403),
            label="raise one's own role",
            body=[{"id": "{managers}", "position": 9}],
            control=Control(
                body=[{"id": "{spare}", "position": "{position}"}], setup=spare_position
            ),
        ),
        Case(
            "PATCH",
            f"{G}/roles/{{managers}}",
            guild_permission(manager=403),
            label="make one's own role ADMINISTRATOR",
            body={"permissions": str(ADMINISTRATOR | MANAGER_PERMISSIONS)},
            control=Control(undo=managers_restored),
        ),
        Case(
            "DELETE",
            f"{G}/roles/{{role}}",
            guild_permission(manager=403),
            label="the seers role, above the manager",
            setup=lambda world: {"role": world.ids["seers"]},
            control=Control(setup=fresh_role),
        ),
        Case(
            "DELETE",
            f"{G}/roles/{{role}}",
            guild_permission(manager=MAY_MANAGE),
            label="a role below the manager",
            setup=fresh_role,
            cleanup=drop("role"),
            control=Control(setup=fresh_role),
        ),
    ]


def _ban_rows() -> list[Case]:
    return [
        Case("GET", f"{G}/bans", guild_permission(manager=OK), control=Control(shows=("exile",))),
        Case(
            "GET",
            f"{G}/bans/{{exile}}",
            guild_permission(manager=OK),
            control=Control(shows=("exile",)),
        ),
        Case(
            "PUT",
            f"{G}/bans/{{target}}",
            guild_permission(manager=403),
            label="ban the viewer, above the manager",
            setup=target("viewer"),
            control=Control(setup=target("bystander"), undo=bystander_back),
        ),
        Case(
            "DELETE",
            f"{G}/bans/{{self}}",
            guild_permission(manager=MAY_MANAGE),
            label="lift the caller's own ban",
            control=Control(setup=banned_exile, undo=exile_again),
        ),
    ]


def _channel_rows() -> list[Case]:
    fresh_hidden = {"setup": fresh_hidden_channel, "cleanup": drop("target")}
    return [
        Case("GET", "/channels/{hidden}", hidden(), control=Control(shows=("hidden",))),
        Case(
            "GET",
            "/channels/{hidden_category}",
            hidden(),
            control=Control(shows=("hidden_category",)),
        ),
        Case("GET", "/channels/{dm}", hidden(), label="DM", control=Control(shows=("dm",))),
        Case(
            "PATCH",
            "/channels/{target}",
            hidden_act(),
            body={"topic": "defaced"},
            control=Control(setup=fresh_hidden_channel),
            **fresh_hidden,
        ),
        Case(
            "PATCH",
            "/channels/{dm}",
            everyone_denied(),
            label="DM",
            body={"name": "defaced"},
            no_control="a DM cannot be modified",
        ),
        Case(
            "PATCH",
            "/channels/{open}",
            guild_permission(manager=REFUSED),
            label="move a channel under the hidden category",
            body={"parent_id": "{hidden_category}"},
            setup=fresh_visible_channel,
            check=open_channel_unmoved,
            cleanup=drop("open"),
            control=Control(setup=fresh_visible_channel),
        ),
        Case(
            "PATCH",
            "/channels/{open}",
            guild_permission(manager=403),
            label="overwrite granting the caller what he lacks",
            body={
                "permission_overwrites": [
                    {"id": "{self}", "type": 1, "allow": str(MANAGE_WEBHOOKS)}
                ]
            },
            setup=fresh_visible_channel,
            check=no_overwrite_for_manager,
            cleanup=drop("open"),
            control=Control(setup=fresh_visible_channel),
        ),
        Case(
            "DELETE",
            "/channels/{target}",
            hidden_act(),
            control=Control(setup=fresh_hidden_channel),
            **fresh_hidden,
        ),
        Case(
            "PUT",
            "/channels/{target}/permissions/{self}",
            hidden_act(),
            label="let oneself in",
            body={"type": 1, "allow": str(VIEW_CHANNEL)},
            check=still_hidden,
            control=Control(setup=fresh_hidden_channel),
            **fresh_hidden,
        ),
        Case(
            "PUT",
            "/channels/{open}/permissions/{self}",
            guild_permission(manager=403),
            label="grant oneself what one lacks",
            body={"type": 1, "allow": str(MANAGE_WEBHOOKS)},
            setup=fresh_visible_channel,
            check=no_overwrite_for_manager,
            cleanup=drop("open"),
            control=Control(setup=fresh_visible_channel),
        ),
        Case(
            "PUT",
            "/channels/{open}/permissions/{self}",
            # Refused, or stored and conferring nothing (Discord never lets an overwrite
            # make anyone an administrator): the check is what matters.
            guild_permission(manager=frozenset({204, 400, 403})),
            label="an ADMINISTRATOR overwrite",
            body={"type": 1, "allow": str(ADMINISTRATOR)},
            setup=fresh_muted_channel,
            check=administrator_not_conferred,
            cleanup=drop("open"),
            no_control="the manager's own try shows what such an overwrite does",
        ),
        Case(
            "DELETE",
            "/channels/{target}/permissions/{guild}",
            hidden_act(),
            label="lift the hiding overwrite",
            check=still_hidden,
            control=Control(setup=fresh_hidden_channel),
            **fresh_hidden,
        ),
        Case(
            "GET",
            "/channels/{hidden}/invites",
            hidden_act(),
            control=Control(shows=("hidden_invite",)),
        ),
        Case(
            "GET",
            "/channels/{public}/invites",
            guild_permission(manager=OK),
            label="public",
            control=Control(shows=("public_invite",)),
        ),
        Case(
            "POST",
            "/channels/{hidden}/invites",
            hidden(viewer=Skip("sees the channel and may invite to it")),
            body={"max_age": 0},
            control=Control(shows=("hidden_invite",)),
        ),
        Case(
            "POST",
            "/channels/{public}/invites",
            members(),
            label="public",
            body={"max_age": 0},
            control=Control(),
        ),
    ]


def _message_rows() -> list[Case]:
    fresh = {"setup": fresh_hidden_message, "cleanup": drop("message")}
    fresh_dm = {"setup": fresh_dm_message, "cleanup": drop_dm_message}
    return [
        Case(
            "GET",
            "/channels/{hidden}/messages",
            hidden(),
            control=Control(shows=("hidden_message",)),
        ),
        Case(
            "GET",
            "/channels/{dm}/messages",
            hidden(),
            label="DM",
            control=Control(shows=("dm_message",)),
        ),
        Case(
            "GET",
            "/channels/{public}/messages?around={hidden_message}",
            members(),
            label="public, around a hidden message",
            control=Control(shows=("public_message",)),
        ),
        Case(
            "POST",
            "/channels/{hidden}/messages",
            hidden(viewer=MAY_POST),
            body={"content": "intrusion"},
            control=Control(),
        ),
        Case(
            "POST",
            "/channels/{dm}/messages",
            hidden(viewer=MAY_POST),
            label="DM",
            body={"content": "intrusion"},
            control=Control(),
        ),
        Case(
            "POST",
            "/channels/{banned_dm}/messages",
            everyone_denied(banned=403),
            label="the banned user's DM with the owner, opened while a member",
            body={"content": "still here"},
            # No guild in common any more, and no consent: neither side may send.
            control=Control(status=403),
        ),
        Case(
            "POST",
            "/channels/{public}/messages",
            members(member=400, viewer=400, manager=400, bot=400),
            label="reply to a hidden message",
            body={
                "content": "re",
                "message_reference": {
                    "message_id": "{hidden_message}",
                    "channel_id": "{hidden}",
                    "guild_id": "{guild}",
                },
            },
            control=Control(status=400),
        ),
        Case(
            "GET",
            "/channels/{hidden}/messages/{hidden_message}",
            hidden(),
            control=Control(shows=("hidden_message",)),
        ),
        Case(
            "GET",
            "/channels/{dm}/messages/{dm_message}",
            hidden(),
            label="DM",
            control=Control(shows=("dm_message",)),
        ),
        Case(
            "GET",
            "/channels/{public}/messages/{hidden_message}",
            everyone_denied(outsider=404),
            label="a hidden message through the public channel",
            control=Control(status=404),
        ),
        Case(
            "PATCH",
            HIDDEN_MESSAGE,
            hidden_act(),
            body={"content": "defaced"},
            check=still_there,
            control=Control(setup=fresh_hidden_message),
            **fresh,
        ),
        Case(
            "PATCH",
            "/channels/{dm}/messages/{message}",
            hidden_act(),
            label="DM",
            body={"content": "defaced"},
            control=Control(setup=fresh_dm_message),
            **fresh_dm,
        ),
        Case(
            "PATCH",
            SMUGGLED,
            everyone_denied(),
            label="a hidden message through the public channel",
            body={"content": "defaced"},
            check=still_there,
            control=Control(status=404, setup=fresh_hidden_message),
            **fresh,
        ),
        Case(
            "DELETE",
            HIDDEN_MESSAGE,
            hidden_act(),
            check=still_there,
            control=Control(setup=fresh_hidden_message),
            **fresh,
        ),
        Case(
            "DELETE",
            "/channels/{dm}/messages/{message}",
            hidden_act(),
            label="DM",
            control=Control(setup=fresh_dm_message),
            **fresh_dm,
        ),
        Case(
            "DELETE",
            SMUGGLED,
            everyone_denied(),
            label="a hidden message through the public channel",
            check=still_there,
            control=Control(status=404, setup=fresh_hidden_message),
            **fresh,
        ),
        Case(
            "POST",
            "/channels/{hidden}/messages/bulk-delete",
            hidden_act(),
            body={"messages": ["{first}", "{second}"]},
            setup=fresh_message_pair,
            check=pair_still_there,
            cleanup=drop("first", "second"),
            control=Control(setup=fresh_message_pair),
        ),
        Case(
            "POST",
            "/channels/{public}/messages/bulk-delete",
            guild_permission(manager=frozenset({204, 400, 404})),
            label="hidden messages through the public channel",
            body={"messages": ["{first}", "{second}"]},
            setup=fresh_message_pair,
            check=pair_still_there,
            cleanup=drop("first", "second"),
            control=Control(status=frozenset({204, 400, 404}), setup=fresh_message_pair),
        ),
    ]


def _pin_and_typing_rows() -> list[Case]:
    return [
        Case(
            "GET", "/channels/{hidden}/pins", hidden(), control=Control(shows=("hidden_message",))
        ),
        Case(
            "GET",
            "/channels/{public}/pins",
            members(),
            label="public",
            control=Control(shows=("public_message",)),
        ),
        Case(
            "PUT",
            "/channels/{hidden}/pins/{message}",
            hidden_act(),
            setup=fresh_hidden_message,
            check=still_unpinned,
            cleanup=drop("message"),
            control=Control(setup=fresh_hidden_message),
        ),
        Case(
            "PUT",
            "/channels/{public}/pins/{message}",
            guild_permission(manager=404),
            label="a hidden message through the public channel",
            setup=fresh_hidden_message,
            check=still_unpinned,
            cleanup=drop("message"),
            control=Control(status=404, setup=fresh_hidden_message),
        ),
        Case(
            "DELETE",
            "/channels/{hidden}/pins/{message}",
            hidden_act(),
            setup=fresh_pinned_message,
            check=still_pinned,
            cleanup=drop("message"),
            control=Control(setup=fresh_pinned_message),
        ),
        Case(
            "DELETE",
            "/channels/{public}/pins/{message}",
            guild_permission(manager=404),
            label="a hidden message through the public channel",
            setup=fresh_pinned_message,
            check=still_pinned,
            cleanup=drop("message"),
            control=Control(status=404, setup=fresh_pinned_message),
        ),
        Case(
            "POST",
            "/channels/{hidden}/typing",
            hidden(),
            control=Control(),
        ),
        Case("POST", "/channels/{dm}/typing", hidden(), label="DM", control=Control()),
    ]


def _reaction_rows() -> list[Case]:
    reacted = {"setup": fresh_reacted_message, "cleanup": drop("message"), "check": still_reacted}
    emoji = f"reactions/{THUMBS_UP}"
    return [
        Case(
            "PUT",
            f"{HIDDEN_MESSAGE}/{emoji}/@me",
            hidden(viewer=Skip("sees the message and may react to it")),
            control=Control(setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "PUT",
            f"{SMUGGLED}/{emoji}/@me",
            everyone_denied(),
            label="a hidden message through the public channel",
            control=Control(status=404, setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "DELETE",
            f"{HIDDEN_MESSAGE}/{emoji}/{{owner}}",
            hidden_act(),
            label="the owner's reaction",
            control=Control(setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "DELETE",
            f"{SMUGGLED}/{emoji}/{{owner}}",
            guild_permission(manager=404),
            label="the owner's reaction through the public channel",
            control=Control(status=404, setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "GET",
            f"/channels/{{hidden}}/messages/{{hidden_message}}/{emoji}",
            hidden(),
            control=Control(shows=("owner",)),
        ),
        Case(
            "GET",
            f"/channels/{{public}}/messages/{{hidden_message}}/{emoji}",
            everyone_denied(),
            label="a hidden message through the public channel",
            control=Control(status=404),
        ),
        Case(
            "DELETE",
            f"{HIDDEN_MESSAGE}/reactions",
            hidden_act(),
            control=Control(setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "DELETE",
            f"{SMUGGLED}/reactions",
            guild_permission(manager=404),
            label="a hidden message through the public channel",
            control=Control(status=404, setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "DELETE",
            f"{HIDDEN_MESSAGE}/{emoji}",
            hidden_act(),
            control=Control(setup=fresh_reacted_message),
            **reacted,
        ),
        Case(
            "DELETE",
            f"{SMUGGLED}/{emoji}",
            guild_permission(manager=404),
            label="a hidden message through the public channel",
            control=Control(status=404, setup=fresh_reacted_message),
            **reacted,
        ),
    ]


def _invite_rows() -> list[Case]:
    return [
        Case(
            "GET",
            "/invites/{public_invite}",
            anyone(),
            reveals=SHOWN_BY_AN_INVITE,
            control=Control(),
        ),
        Case(
            "POST",
            "/invites/{public_invite}",
            anyone(outsider=MAY_JOIN, banned=403),
            control=Control("bystander"),
        ),
        Case(
            "DELETE",
            "/invites/{code}",
            everyone_denied(403, manager=MAY_MANAGE),
            label="public",
            setup=fresh_invite("public"),
            control=Control(setup=fresh_invite("public")),
        ),
        Case(
            "DELETE",
            "/invites/{code}",
            everyone_denied(403),
            label="to the hidden channel",
            setup=fresh_invite("hidden"),
            control=Control(setup=fresh_invite("hidden")),
        ),
    ]


def _application_rows() -> list[Case]:
    humans = _HUMANS
    return [
        Case(
            "GET",
            "/applications",
            {**humans, "bot": HUMANS_ONLY},
            control=Control(shows=("spare_app",)),
        ),
        Case(
            "POST",
            "/applications",
            {**humans, "bot": HUMANS_ONLY},
            body={"name": "Their own"},
            control=Control(),
        ),
        Case(
            "GET",
            "/applications/@me",
            {**{a: 404 for a in HUMAN_ACTORS}, "bot": OK},
            no_control="the bot is the one allowed",
        ),
        Case(
            "GET",
            "/oauth2/applications/@me",
            {**{a: 404 for a in HUMAN_ACTORS}, "bot": OK},
            no_control="the bot is the one allowed",
        ),
        Case(
            "GET",
            "/applications/{spare_app}",
            everyone_denied(),
            control=Control(shows=("spare_app",)),
        ),
        Case(
            "GET",
            "/applications/{bot_app}",
            everyone_denied(bot=OK),
            label="the bot's own",
            control=Control(shows=("bot_app",)),
        ),
        Case(
            "POST",
            "/applications/{app}/bot/reset",
            everyone_denied(bot=HUMANS_ONLY),
            setup=fresh_application,
            control=Control(setup=fresh_application),
        ),
        Case(
            "POST",
            "/oauth2/authorize",
            guild_permission(manager=403, bot=HUMANS_ONLY),
            body={"client_id": "{app}", "scope": "bot", "guild_id": "{guild}", "permissions": "0"},
            setup=fresh_application,
            control=Control(setup=fresh_application, undo=kick_added_bot),
        ),
        Case(
            "GET",
            "/gateway/bot",
            {**{a: BOT_ONLY for a in HUMAN_ACTORS}, "bot": OK},
            no_control="the bot is the one allowed",
        ),
    ]


def all_cases() -> list[Case]:
    return [
        *_public_rows(),
        *_user_rows(),
        *_guild_rows(),
        *_member_rows(),
        *_role_rows(),
        *_ban_rows(),
        *_channel_rows(),
        *_message_rows(),
        *_pin_and_typing_rows(),
        *_reaction_rows(),
        *_invite_rows(),
        *_application_rows(),
    ]


CASES = all_cases()
__all__ = ["CASES"]
