"""Guild members over real HTTP: listing, nicknames, member roles, kicks, leaving.

Also home of the guild ``World`` that the role and ban tests build on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import trio

from accord.core.entities import Application, User
from accord.core.errors import Conflict
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.services.auth import hash_secret, new_bot_token
from accord.core.snowflake import Snowflake
from accord.services import Services

UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_ROLE, UNKNOWN_USER, UNKNOWN_BAN = (
    10004,
    10007,
    10011,
    10013,
    10026,
)
MISSING_PERMISSIONS = 50013
NO_PERMISSIONS = Permission(0)
INVALID_FORM_BODY = 50035


@dataclass
class Actor:
    id: str
    headers: dict[str, str]


@dataclass
class World:
    """A guild with roles high (3) > mod (2) > low (1) > @everyone (0), and these callers:

    owner; mod and peer hold "mod" (which grants what the test asked for);
    senior holds "high"; target holds "low"; plain holds nothing; outsider
    is no member.
    """

    api: httpx.AsyncClient
    services: Services
    guild_id: str
    actors: dict[str, Actor]
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    def path(self, rest: str = "") -> str:
        return f"/guilds/{self.guild_id}{rest}"

    async def member(self, name: str) -> httpx.Response:
        return await self.api.get(
            self.path(f"/members/{self[name].id}"), headers=self["owner"].headers
        )

    async def role_list(self) -> list[dict[str, Any]]:
        response = await self.api.get(self.path("/roles"), headers=self["owner"].headers)
        assert response.status_code == 200, response.text
        return sorted(response.json(), key=lambda r: (r["position"], r["id"]))

    async def join(self, name: str) -> None:
        """Make an existing actor a member (the invite route belongs elsewhere)."""
        await self.services.storage.members.add_member(
            Snowflake(int(self.guild_id)), Snowflake(int(self[name].id)), datetime.now(UTC)
        )

    async def grant(self, name: str, role: str) -> None:
        await self.services.storage.members.add_member_role(
            Snowflake(int(self.guild_id)),
            Snowflake(int(self[name].id)),
            Snowflake(int(self.roles[role]["id"])),
        )


async def add_bot(services: Services, name: str, owner_id: str) -> Actor:
    """A bot user and its token, stored directly: no password to hash."""
    bot_id = services.ids.next_id()
    token = new_bot_token(bot_id)
    bot = User(id=bot_id, username=name, bot=True)
    application = Application(id=bot_id, name=name, owner_id=Snowflake(int(owner_id)), bot=bot)
    await services.storage.applications.create_application(application, hash_secret(token))
    return Actor(str(bot_id), {"Authorization": f"Bot {token}"})


async def build_world(
    api: httpx.AsyncClient, services: Services, grants: Permission = NO_PERMISSIONS
) -> World:
    # Every caller, the owner too, is a bot: registering humans would spend most
    # of each test hashing passwords. Their application belongs to a user stored
    # without a usable password, who never calls.
    keeper = User(id=services.ids.next_id(), username="keeper")
    await services.storage.users.create_account(keeper, "keeper@example.com", "unusable")
    owner = await add_bot(services, "owner", str(keeper.id))
    guild = await services.guilds.create_guild(Snowflake(int(owner.id)), "World")
    world = World(api, services, guild["id"], {"owner": owner})
    owner_headers = owner.headers
    # Each new role lands at position 1, so the first created ends highest.
    for name, permissions in (("high", 0), ("mod", int(grants)), ("low", 0)):
        response = await api.post(
            world.path("/roles"),
            json={"name": name, "permissions": str(permissions)},
            headers=owner_headers,
        )
        assert response.status_code == 200, response.text
    world.roles = {r["name"]: r for r in await world.role_list()}
    holdings = {"mod": "mod", "peer": "mod", "senior": "high", "target": "low", "plain": None}
    for name, role in holdings.items():
        world.actors[name] = await add_bot(services, name, str(keeper.id))
        await world.join(name)
        if role is not None:
            await world.grant(name, role)
    world.actors["outsider"] = await add_bot(services, "outsider", str(keeper.id))
    return world


@asynccontextmanager
async def recording(services: Services) -> AsyncIterator[Callable[[], list[Event]]]:
    """Events published from now on; call the yielded function to take those so far.

    Services publish before they answer, so by the time a response is read its
    events are waiting here: nothing needs to wait.
    """
    async with services.bus.subscribe() as stream:

        def drain() -> list[Event]:
            taken = []
            while True:
                try:
                    taken.append(stream.receive_nowait())
                except trio.WouldBlock:
                    return taken

        yield drain


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.type == kind]


def assert_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body


def assert_field_error(response: httpx.Response, *path: str) -> None:
    """A 400 Invalid Form Body whose ``errors`` name the field at ``path``."""
    body = assert_error(response, 400, INVALID_FORM_BODY)
    node = body["errors"]
    for part in path:
        assert part in node, body
        node = node[part]
    assert node["_errors"][0]["code"], body


# Who calls, and what they get when the route needs a permission that only the
# "mod" role grants: an outsider does not see the guild, a plain member sees
# it but may not act; the mod role and the owner may.
MATRIX = [
    pytest.param("outsider", 404, UNKNOWN_GUILD, id="outsider"),
    pytest.param("plain", 403, MISSING_PERMISSIONS, id="member-without-permission"),
    pytest.param("mod", None, None, id="member-with-permission-via-role"),
    pytest.param("owner", None, None, id="owner"),
]


def expect(response: httpx.Response, status: int | None, code: int | None, ok: int) -> bool:
    """Check a matrix outcome; True when the call was meant to succeed."""
    if status is None:
        assert response.status_code == ok, response.text
        return True
    assert_error(response, status, code or 0)
    return False


# ---------------------------------------------------------------- listing


async def test_list_members_pages_in_user_id_order(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    everyone = sorted((a.id for n, a in world.actors.items() if n != "outsider"), key=int)
    first = await api.get(world.path("/members"), headers=owner)
    assert first.status_code == 200
    assert [m["user"]["id"] for m in first.json()] == everyone[:1]  # Discord's default limit is 1
    page = await api.get(world.path("/members?limit=1000"), headers=owner)
    members = page.json()
    assert [m["user"]["id"] for m in members] == everyone
    assert {"roles", "joined_at", "nick", "deaf", "mute", "flags"} <= set(members[0])
    after = await api.get(world.path(f"/members?limit=2&after={everyone[1]}"), headers=owner)
    assert [m["user"]["id"] for m in after.json()] == everyone[2:4]
    plain = await api.get(world.path("/members?limit=5"), headers=world["plain"].headers)
    assert plain.status_code == 200 and len(plain.json()) == 5


BAD_MEMBER_QUERIES = [
    ("limit=0", "limit"),
    ("limit=1001", "limit"),
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("limit=" + "9" * 5000, "limit"),
    ("after=abc", "after"),
    ("after=" + "9" * 30, "after"),
]


async def test_list_members_bad_query_is_a_field_error(api, services):
    world = await build_world(api, services)
    for query, field_name in BAD_MEMBER_QUERIES:
        response = await api.get(world.path(f"/members?{query}"), headers=world["owner"].headers)
        assert_field_error(response, field_name)


async def test_search_members_by_name_or_nick_prefix(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    renamed = await api.patch(
        world.path(f"/members/{world['plain'].id}"), json={"nick": "Pepper"}, headers=owner
    )
    assert renamed.status_code == 200
    found = await api.get(world.path("/members/search?query=pe&limit=10"), headers=owner)
    assert found.status_code == 200
    # "peer" by username, "plain" by its nick "Pepper"; case does not matter.
    assert sorted(m["user"]["id"] for m in found.json()) == sorted(
        [world["peer"].id, world["plain"].id]
    )
    first = await api.get(world.path("/members/search?query=PE"), headers=owner)
    assert len(first.json()) == 1  # the default limit, as when listing
    none = await api.get(world.path("/members/search?query=%25&limit=10"), headers=owner)
    assert none.json() == []  # % is a character to match, not a wildcard
    for query, field_name in (
        ("", "query"),
        ("query=", "query"),
        ("query=" + "x" * 101, "query"),
        ("query=a&limit=0", "limit"),
        ("query=a&limit=x", "limit"),
    ):
        response = await api.get(world.path(f"/members/search?{query}"), headers=owner)
        assert_field_error(response, field_name)
    outsider = await api.get(
        world.path("/members/search?query=p"), headers=world["outsider"].headers
    )
    assert_error(outsider, 404, UNKNOWN_GUILD)


async def test_outsider_cannot_list_or_read_members(api, services):
    world = await build_world(api, services)
    outsider = world["outsider"].headers
    assert_error(await api.get(world.path("/members"), headers=outsider), 404, UNKNOWN_GUILD)
    response = await api.get(world.path(f"/members/{world['plain'].id}"), headers=outsider)
    assert_error(response, 404, UNKNOWN_GUILD)


async def test_get_member_and_unknown_member(api, services):
    world = await build_world(api, services)
    response = await api.get(
        world.path(f"/members/{world['target'].id}"), headers=world["plain"].headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == world["target"].id and body["user"]["bot"] is True
    assert body["roles"] == [world.roles["low"]["id"]]
    assert body["joined_at"].endswith("+00:00")
    assert_error(
        await api.get(world.path("/members/1"), headers=world["plain"].headers), 404, UNKNOWN_MEMBER
    )
    outsider_id = world["outsider"].id
    response = await api.get(world.path(f"/members/{outsider_id}"), headers=world["plain"].headers)
    assert_error(response, 404, UNKNOWN_MEMBER)
    assert_field_error(
        await api.get(world.path("/members/abc"), headers=world["plain"].headers), "user_id"
    )
    assert_field_error(
        await api.get("/guilds/abc/members/1", headers=world["plain"].headers), "guild_id"
    )


# ---------------------------------------------------------------- nicknames


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_nick_of_another_member_needs_manage_nicknames(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_NICKNAMES)
    async with recording(services) as taken:
        response = await api.patch(
            world.path(f"/members/{world['target'].id}"),
            json={"nick": "renamed"},
            headers=world[actor].headers,
        )
        events = taken()
    succeeded = expect(response, status, code, 200)
    stored = (await world.member("target")).json()
    if succeeded:
        assert response.json()["nick"] == "renamed" and stored["nick"] == "renamed"
        [update] = of_type(events, "GUILD_MEMBER_UPDATE")
        assert update.guild_id == int(world.guild_id)
        assert update.data["guild_id"] == world.guild_id and update.data["nick"] == "renamed"
        assert update.affects == frozenset()  # a nick changes no one's permissions
    else:
        assert stored["nick"] is None and events == []


async def test_nick_of_member_at_or_above_caller_is_refused(api, services):
    world = await build_world(api, services, Permission.MANAGE_NICKNAMES)
    for victim in ("owner", "peer", "senior"):
        response = await api.patch(
            world.path(f"/members/{world[victim].id}"),
            json={"nick": "nope"},
            headers=world["mod"].headers,
        )
        assert_error(response, 403, MISSING_PERMISSIONS)
        assert (await world.member(victim)).json()["nick"] is None


async def test_owner_renames_anyone_and_clears_nicks(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    url = world.path(f"/members/{world['senior'].id}")
    assert (await api.patch(url, json={"nick": "  Boss  "}, headers=owner)).json()["nick"] == "Boss"
    assert (await api.patch(url, json={"nick": ""}, headers=owner)).json()["nick"] is None
    await api.patch(url, json={"nick": "again"}, headers=owner)
    assert (await api.patch(url, json={"nick": None}, headers=owner)).json()["nick"] is None
    # Leaving nick out leaves it as it is.
    await api.patch(url, json={"nick": "kept"}, headers=owner)
    assert (await api.patch(url, json={}, headers=owner)).json()["nick"] == "kept"


@pytest.mark.parametrize(
    ("actor", "status", "code"),
    [
        pytest.param("outsider", 404, UNKNOWN_GUILD, id="outsider"),
        pytest.param("plain", 403, MISSING_PERMISSIONS, id="member-without-change-nickname"),
        pytest.param("mod", None, None, id="member-with-change-nickname-via-role"),
        pytest.param("owner", None, None, id="owner"),
    ],
)
async def test_own_nick_needs_change_nickname(api, services, actor, status, code):
    world = await build_world(api, services, Permission.CHANGE_NICKNAME)
    # @everyone grants CHANGE_NICKNAME by default; take it away so only the role gives it.
    everyone = world.roles["@everyone"]
    stripped = int(everyone["permissions"]) & ~int(Permission.CHANGE_NICKNAME)
    response = await api.patch(
        world.path(f"/roles/{world.guild_id}"),
        json={"permissions": str(stripped)},
        headers=world["owner"].headers,
    )
    assert response.status_code == 200, response.text
    response = await api.patch(
        world.path("/members/@me"), json={"nick": "me myself"}, headers=world[actor].headers
    )
    if expect(response, status, code, 200):
        assert response.json()["nick"] == "me myself"
        assert (await world.member(actor)).json()["nick"] == "me myself"
    elif actor != "outsider":
        assert (await world.member(actor)).json()["nick"] is None


async def test_own_nick_through_the_user_id_path_needs_change_nickname_only(api, services):
    world = await build_world(api, services)
    response = await api.patch(
        world.path(f"/members/{world['plain'].id}"),
        json={"nick": "self"},
        headers=world["plain"].headers,
    )
    assert response.status_code == 200 and response.json()["nick"] == "self"


BAD_MEMBER_BODIES = [
    ({"nick": "x" * 33}, ("nick",)),
    ({"nick": 5}, ("nick",)),
    ({"nick": "two\nlines"}, ("nick",)),
    ({"roles": "abc"}, ("roles",)),
    ({"roles": ["abc"]}, ("roles", "0")),
    ({"roles": [True]}, ("roles", "0")),
    ({"roles": [{"id": "1"}]}, ("roles", "0")),
    ({"roles": ["1"] * 251}, ("roles",)),
    ({"bogus": 1}, ("bogus",)),
    ({"mute": True}, ("mute",)),
]


async def test_modify_member_bad_input_stores_nothing(api, services):
    world = await build_world(api, services)
    for body, path in BAD_MEMBER_BODIES:
        response = await api.patch(
            world.path(f"/members/{world['target'].id}"), json=body, headers=world["owner"].headers
        )
        assert_field_error(response, *path)
    stored = (await world.member("target")).json()
    assert stored["nick"] is None and stored["roles"] == [world.roles["low"]["id"]]


async def test_modify_member_malformed_requests(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    url = world.path(f"/members/{world['target'].id}")
    not_json = await api.patch(
        url, content=b"{nope", headers={**owner, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == 50109
    wrong_type = await api.patch(
        url, content=b"nick=x", headers={**owner, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    array = await api.patch(url, json=["nick"], headers=owner)
    assert array.status_code == 400
    assert_field_error(
        await api.patch(world.path("/members/abc"), json={}, headers=owner), "user_id"
    )
    unknown = await api.patch(world.path("/members/1"), json={"nick": "x"}, headers=owner)
    assert_error(unknown, 404, UNKNOWN_MEMBER)
    assert (await world.member("target")).json()["nick"] is None


# ---------------------------------------------------------------- member roles


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_set_member_roles_needs_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    low = world.roles["low"]["id"]
    async with recording(services) as taken:
        response = await api.patch(
            world.path(f"/members/{world['plain'].id}"),
            json={"roles": [low]},
            headers=world[actor].headers,
        )
        events = taken()
    stored = (await world.member("plain")).json()
    if expect(response, status, code, 200):
        assert response.json()["roles"] == [low] and stored["roles"] == [low]
        [update] = of_type(events, "GUILD_MEMBER_UPDATE")
        assert update.data["roles"] == [low]
        assert update.affects == {int(world["plain"].id)}  # their permissions may have changed
    else:
        assert stored["roles"] == [] and events == []


async def test_set_member_roles_respects_hierarchy(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    refusals = [
        ("plain", ["mod"]),  # giving the caller's own top role
        ("plain", ["high"]),  # giving a role above it
        ("peer", []),  # taking away a role at the caller's rank
        ("senior", ["low"]),  # taking away a higher role while adding a lower one
    ]
    for who, roles in refusals:
        before = (await world.member(who)).json()["roles"]
        response = await api.patch(
            world.path(f"/members/{world[who].id}"),
            json={"roles": [world.roles[r]["id"] for r in roles]},
            headers=world["mod"].headers,
        )
        assert_error(response, 403, MISSING_PERMISSIONS)
        assert (await world.member(who)).json()["roles"] == before


async def test_owner_sets_any_roles_and_everyone_is_implicit(api, services):
    world = await build_world(api, services)
    ids = [world.roles[r]["id"] for r in ("high", "mod", "low")]
    response = await api.patch(
        world.path(f"/members/{world['plain'].id}"),
        json={"roles": [*ids, world.guild_id, ids[0]]},
        headers=world["owner"].headers,
    )
    assert response.status_code == 200, response.text
    assert sorted(response.json()["roles"]) == sorted(ids)


async def test_set_member_roles_unknown_role_stores_nothing(api, services):
    world = await build_world(api, services)
    other = await services.guilds.create_guild(Snowflake(int(world["owner"].id)), "Other")
    foreign_role = other["roles"][0]["id"]  # another guild's @everyone
    for bogus in ("1", foreign_role):
        response = await api.patch(
            world.path(f"/members/{world['plain'].id}"),
            json={"roles": [world.roles["low"]["id"], bogus]},
            headers=world["owner"].headers,
        )
        assert_error(response, 404, UNKNOWN_ROLE)
    assert (await world.member("plain")).json()["roles"] == []


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_put_and_delete_member_role_need_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    low = world.roles["low"]["id"]
    url = world.path(f"/members/{world['plain'].id}/roles/{low}")
    async with recording(services) as taken:
        added = await api.put(url, headers=world[actor].headers)
        after_add = (await world.member("plain")).json()["roles"]
        removed = await api.delete(url, headers=world[actor].headers)
        after_remove = (await world.member("plain")).json()["roles"]
        events = taken()
    if expect(added, status, code, 204):
        assert after_add == [low]
        assert expect(removed, status, code, 204) and after_remove == []
        updates = of_type(events, "GUILD_MEMBER_UPDATE")
        assert [u.data["roles"] for u in updates] == [[low], []]
        assert all(u.affects == {int(world["plain"].id)} for u in updates)
    else:
        assert after_add == [] and events == []
        expect(removed, status, code, 204)


async def test_member_role_routes_respect_hierarchy(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    mod = world["mod"].headers
    for role in ("mod", "high"):
        url = world.path(f"/members/{world['plain'].id}/roles/{world.roles[role]['id']}")
        assert_error(await api.put(url, headers=mod), 403, MISSING_PERMISSIONS)
    peer_role = world.path(f"/members/{world['peer'].id}/roles/{world.roles['mod']['id']}")
    assert_error(await api.delete(peer_role, headers=mod), 403, MISSING_PERMISSIONS)
    assert (await world.member("plain")).json()["roles"] == []
    assert (await world.member("peer")).json()["roles"] == [world.roles["mod"]["id"]]


async def test_member_role_routes_unknown_and_bad_ids(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    low = world.roles["low"]["id"]
    plain = world["plain"].id
    assert_error(
        await api.put(world.path(f"/members/{plain}/roles/1"), headers=owner), 404, UNKNOWN_ROLE
    )
    assert_error(
        await api.put(world.path(f"/members/1/roles/{low}"), headers=owner), 404, UNKNOWN_MEMBER
    )
    outsider = world["outsider"].id
    response = await api.put(world.path(f"/members/{outsider}/roles/{low}"), headers=owner)
    assert_error(response, 404, UNKNOWN_MEMBER)
    assert_field_error(
        await api.put(world.path(f"/members/{plain}/roles/x"), headers=owner), "role_id"
    )
    assert_field_error(
        await api.put(world.path(f"/members/x/roles/{low}"), headers=owner), "user_id"
    )
    # Putting a role twice, or removing one not held, changes nothing and says so quietly.
    async with recording(services) as taken:
        target_low = world.path(f"/members/{world['target'].id}/roles/{low}")
        assert (await api.put(target_low, headers=owner)).status_code == 204
        plain_low = world.path(f"/members/{plain}/roles/{low}")
        assert (await api.delete(plain_low, headers=owner)).status_code == 204
        assert taken() == []


# ---------------------------------------------------------------- kicks


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_kick_needs_kick_members(api, services, actor, status, code):
    world = await build_world(api, services, Permission.KICK_MEMBERS)
    target = world["target"]
    async with recording(services) as taken:
        response = await api.delete(
            world.path(f"/members/{target.id}"), headers=world[actor].headers
        )
        events = taken()
    if expect(response, status, code, 204):
        assert_error(await world.member("target"), 404, UNKNOWN_MEMBER)
        [removed] = of_type(events, "GUILD_MEMBER_REMOVE")
        assert removed.guild_id == int(world.guild_id) and removed.user_ids is None
        assert removed.data == {"guild_id": world.guild_id, "user": removed.data["user"]}
        assert removed.data["user"]["id"] == target.id
        [gone] = of_type(events, "GUILD_DELETE")
        assert gone.data == {"id": world.guild_id, "unavailable": False}
        assert gone.user_ids == {int(target.id)} and gone.affects == {int(target.id)}
        # The kicked member no longer sees the guild.
        assert_error(await api.get(world.path(), headers=target.headers), 404, UNKNOWN_GUILD)
    else:
        assert (await world.member("target")).status_code == 200 and events == []


async def test_kick_of_owner_or_member_at_or_above_caller_is_refused(api, services):
    # ADMINISTRATOR too: it grants every permission but does not lift the hierarchy.
    world = await build_world(api, services, Permission.KICK_MEMBERS | Permission.ADMINISTRATOR)
    for victim in ("owner", "peer", "senior", "mod"):
        response = await api.delete(
            world.path(f"/members/{world[victim].id}"), headers=world["mod"].headers
        )
        assert_error(response, 403, MISSING_PERMISSIONS)
        assert (await world.member(victim)).status_code == 200


async def test_owner_kicks_anyone_but_themself(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    assert (
        await api.delete(world.path(f"/members/{world['senior'].id}"), headers=owner)
    ).status_code == 204
    response = await api.delete(world.path(f"/members/{world['owner'].id}"), headers=owner)
    assert_error(response, 403, MISSING_PERMISSIONS)
    assert_error(await api.delete(world.path("/members/1"), headers=owner), 404, UNKNOWN_MEMBER)
    assert_field_error(await api.delete(world.path("/members/abc"), headers=owner), "user_id")


# ---------------------------------------------------------------- leaving


async def test_member_leaves_and_is_told_the_guild_is_gone(api, services):
    world = await build_world(api, services)
    plain = world["plain"]
    async with recording(services) as taken:
        response = await api.delete(f"/users/@me/guilds/{world.guild_id}", headers=plain.headers)
        events = taken()
    assert response.status_code == 204
    assert_error(await world.member("plain"), 404, UNKNOWN_MEMBER)
    assert [e.type for e in events] == ["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]
    assert events[0].data["user"]["id"] == plain.id
    assert events[1].user_ids == {int(plain.id)}
    again = await api.delete(f"/users/@me/guilds/{world.guild_id}", headers=plain.headers)
    assert_error(again, 404, UNKNOWN_GUILD)


async def test_owner_cannot_leave_and_outsider_has_nothing_to_leave(api, services):
    world = await build_world(api, services)
    response = await api.delete(
        f"/users/@me/guilds/{world.guild_id}", headers=world["owner"].headers
    )
    body = assert_error(response, 400, 0)
    assert "owner" in body["message"]
    assert (await world.member("owner")).status_code == 200
    response = await api.delete(
        f"/users/@me/guilds/{world.guild_id}", headers=world["outsider"].headers
    )
    assert_error(response, 404, UNKNOWN_GUILD)
    assert_field_error(
        await api.delete("/users/@me/guilds/abc", headers=world["plain"].headers), "guild_id"
    )


async def test_member_routes_need_authentication(api, services):
    world = await build_world(api, services)
    for method, path in (
        ("GET", world.path("/members")),
        ("PATCH", world.path("/members/@me")),
        ("DELETE", world.path(f"/members/{world['plain'].id}")),
        ("DELETE", f"/users/@me/guilds/{world.guild_id}"),
    ):
        response = await api.request(method, path, json={} if method == "PATCH" else None)
        assert response.status_code == 401, (method, path)
    assert (await world.member("plain")).status_code == 200


async def test_kicked_member_can_rejoin_but_banned_one_cannot(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    await api.delete(world.path(f"/members/{world['plain'].id}"), headers=owner)
    await world.join("plain")
    assert (await world.member("plain")).status_code == 200
    assert (
        await api.put(world.path(f"/bans/{world['plain'].id}"), headers=owner)
    ).status_code == 204
    with pytest.raises(Conflict) as refused:
        await world.join("plain")
    assert refused.value.code == "USER_BANNED"
