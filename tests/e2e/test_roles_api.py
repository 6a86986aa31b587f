"""Guild roles over real HTTP: list, create, modify, delete, reorder, and the hierarchy."""

from __future__ import annotations

import pytest

from accord.core.entities import Role
from accord.core.permissions import DEFAULT_EVERYONE, Permission
from accord.core.snowflake import Snowflake
from tests.e2e.test_members_api import (
    MATRIX,
    MISSING_PERMISSIONS,
    UNKNOWN_GUILD,
    UNKNOWN_ROLE,
    World,
    assert_error,
    assert_field_error,
    build_world,
    expect,
    recording,
)

INVALID_ROLE = 50028
MAX_ROLES = 30005


async def positions(world: World) -> dict[str, int]:
    return {r["name"]: r["position"] for r in await world.role_list()}


async def test_roles_are_listed_to_members_in_hierarchy_order(api, services):
    world = await build_world(api, services)
    response = await api.get(world.path("/roles"), headers=world["plain"].headers)
    assert response.status_code == 200
    by_name = {r["name"]: r for r in response.json()}
    assert {n: r["position"] for n, r in by_name.items()} == {
        "@everyone": 0,
        "low": 1,
        "mod": 2,
        "high": 3,
    }
    assert by_name["@everyone"]["id"] == world.guild_id
    assert isinstance(by_name["mod"]["permissions"], str)
    outsider = await api.get(world.path("/roles"), headers=world["outsider"].headers)
    assert_error(outsider, 404, UNKNOWN_GUILD)


# ---------------------------------------------------------------- create


async def test_new_role_takes_position_one_and_the_roles_above_move_up(api, services):
    world = await build_world(api, services)
    async with recording(services) as taken:
        response = await api.post(world.path("/roles"), json={}, headers=world["owner"].headers)
        events = taken()
    assert response.status_code == 200, response.text
    role = response.json()
    assert role["name"] == "new role" and role["position"] == 1
    # Discord's default: a new role starts with @everyone's permissions.
    assert role["permissions"] == str(int(DEFAULT_EVERYONE))
    assert (role["color"], role["hoist"], role["mentionable"], role["managed"]) == (
        0,
        False,
        False,
        False,
    )
    assert await positions(world) == {"@everyone": 0, "new role": 1, "low": 2, "mod": 3, "high": 4}
    moved = {e.data["role"]["name"]: e.data["role"]["position"] for e in events[:-1]}
    assert moved == {"low": 2, "mod": 3, "high": 4}
    assert all(e.type == "GUILD_ROLE_UPDATE" and e.affects == frozenset() for e in events[:-1])
    created = events[-1]
    assert created.type == "GUILD_ROLE_CREATE" and created.guild_id == int(world.guild_id)
    assert created.data == {"guild_id": world.guild_id, "role": role}


async def test_new_role_fills_a_gap_at_position_one_without_moving_others(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    low = world.roles["low"]["id"]
    assert (await api.delete(world.path(f"/roles/{low}"), headers=owner)).status_code == 204
    response = await api.post(world.path("/roles"), json={"name": "fresh"}, headers=owner)
    assert response.json()["position"] == 1
    assert await positions(world) == {"@everyone": 0, "fresh": 1, "mod": 2, "high": 3}


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_create_role_needs_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    before = await world.role_list()
    response = await api.post(
        world.path("/roles"), json={"name": "made"}, headers=world[actor].headers
    )
    after = await world.role_list()
    if expect(response, status, code, 200):
        assert response.json()["name"] == "made"
        assert [r["name"] for r in after if r["name"] == "made"] == ["made"]
    else:
        assert after == before


async def test_create_role_with_every_field(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    bits = int(Permission.KICK_MEMBERS | Permission.BAN_MEMBERS)
    response = await api.post(
        world.path("/roles"),
        json={
            "name": "  Shiny  ",
            "permissions": bits,
            "color": 0xFF00FF,
            "hoist": True,
            "mentionable": True,
        },
        headers=owner,
    )
    assert response.status_code == 200, response.text
    role = response.json()
    assert role["name"] == "Shiny" and role["permissions"] == str(bits)
    assert role["color"] == 0xFF00FF and role["hoist"] is True and role["mentionable"] is True
    # Newer clients send colors; the primary one is the role's colour.
    response = await api.post(
        world.path("/roles"),
        json={"name": "Tinted", "colors": {"primary_color": 0x123456, "secondary_color": None}},
        headers=owner,
    )
    assert response.status_code == 200 and response.json()["color"] == 0x123456


async def test_nobody_grants_a_permission_they_lack(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    mod = world["mod"].headers
    before = await world.role_list()
    response = await api.post(
        world.path("/roles"),
        json={"name": "bans", "permissions": str(int(Permission.BAN_MEMBERS))},
        headers=mod,
    )
    assert_error(response, 403, MISSING_PERMISSIONS)
    assert await world.role_list() == before
    allowed = await api.post(
        world.path("/roles"),
        json={"name": "managers", "permissions": str(int(Permission.MANAGE_ROLES))},
        headers=mod,
    )
    assert allowed.status_code == 200, allowed.text


async def test_administrators_grant_anything_below_them(api, services):
    world = await build_world(api, services, Permission.ADMINISTRATOR)
    response = await api.post(
        world.path("/roles"),
        json={"name": "bans", "permissions": str(int(Permission.BAN_MEMBERS))},
        headers=world["mod"].headers,
    )
    assert response.status_code == 200, response.text


async def test_a_member_without_roles_cannot_create_one_even_with_manage_roles(api, services):
    world = await build_world(api, services)
    everyone = int(world.roles["@everyone"]["permissions"]) | int(Permission.MANAGE_ROLES)
    response = await api.patch(
        world.path(f"/roles/{world.guild_id}"),
        json={"permissions": str(everyone)},
        headers=world["owner"].headers,
    )
    assert response.status_code == 200, response.text
    before = await world.role_list()
    # Position 1 is not below @everyone, the only role they have.
    response = await api.post(world.path("/roles"), json={}, headers=world["plain"].headers)
    assert_error(response, 403, MISSING_PERMISSIONS)
    assert await world.role_list() == before


BAD_ROLE_BODIES = [
    ({"name": ""}, ("name",)),
    ({"name": "   "}, ("name",)),
    ({"name": "x" * 101}, ("name",)),
    ({"name": 5}, ("name",)),
    ({"name": "two\nlines"}, ("name",)),
    ({"color": -1}, ("color",)),
    ({"color": 0x1000000}, ("color",)),
    ({"color": "red"}, ("color",)),
    ({"color": "12"}, ("color",)),
    ({"color": True}, ("color",)),
    ({"color": 1.5}, ("color",)),
    ({"colors": {"primary_color": -5}}, ("color",)),
    ({"colors": {"primary_color": 1, "secondary_color": 2}}, ("colors", "secondary_color")),
    ({"colors": {}}, ("colors", "primary_color")),
    ({"permissions": "abc"}, ("permissions",)),
    ({"permissions": -1}, ("permissions",)),
    ({"permissions": str(1 << 64)}, ("permissions",)),
    ({"permissions": True}, ("permissions",)),
    ({"permissions": [1]}, ("permissions",)),
    ({"hoist": "yes"}, ("hoist",)),
    ({"hoist": 1}, ("hoist",)),
    ({"mentionable": "true"}, ("mentionable",)),
    ({"icon": "data:image/png;base64,AAAA"}, ("icon",)),
    ({"bogus": 1}, ("bogus",)),
]


async def test_create_role_bad_input_stores_nothing(api, services):
    world = await build_world(api, services)
    before = await world.role_list()
    for body, path in BAD_ROLE_BODIES:
        response = await api.post(world.path("/roles"), json=body, headers=world["owner"].headers)
        assert_field_error(response, *path)
    response = await api.post(world.path("/roles"), json=[], headers=world["owner"].headers)
    assert response.status_code == 400
    assert_field_error(
        await api.post("/guilds/abc/roles", json={}, headers=world["owner"].headers), "guild_id"
    )
    assert await world.role_list() == before


async def test_a_guild_holds_at_most_250_roles(api, services):
    world = await build_world(api, services)
    guild_id = Snowflake(int(world.guild_id))
    existing = len(await world.role_list())
    for n in range(250 - existing):
        await services.storage.roles.create_role(
            Role(services.ids.next_id(), guild_id, f"filler {n}", Permission(0), position=10 + n)
        )
    response = await api.post(world.path("/roles"), json={}, headers=world["owner"].headers)
    assert_error(response, 400, MAX_ROLES)
    assert len(await world.role_list()) == 250


# ---------------------------------------------------------------- modify


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_modify_role_needs_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    low = world.roles["low"]
    async with recording(services) as taken:
        response = await api.patch(
            world.path(f"/roles/{low['id']}"),
            json={"name": "renamed", "color": 5},
            headers=world[actor].headers,
        )
        events = taken()
    stored = {r["id"]: r for r in await world.role_list()}[low["id"]]
    if expect(response, status, code, 200):
        assert response.json() == stored
        assert (stored["name"], stored["color"], stored["position"]) == ("renamed", 5, 1)
        [update] = events
        assert update.type == "GUILD_ROLE_UPDATE"
        assert update.data == {"guild_id": world.guild_id, "role": stored}
        assert update.affects == frozenset()  # name and colour grant nothing
    else:
        assert stored == low and events == []


async def test_modify_role_at_or_above_caller_is_refused(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES | Permission.ADMINISTRATOR)
    before = await world.role_list()
    for name in ("mod", "high"):
        response = await api.patch(
            world.path(f"/roles/{world.roles[name]['id']}"),
            json={"name": "mine now"},
            headers=world["mod"].headers,
        )
        assert_error(response, 403, MISSING_PERMISSIONS)
    assert await world.role_list() == before


async def test_permission_changes_reach_the_role_holders(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    low = world.roles["low"]["id"]
    async with recording(services) as taken:
        response = await api.patch(
            world.path(f"/roles/{low}"), json={"permissions": "4"}, headers=owner
        )
        assert response.status_code == 200 and response.json()["permissions"] == "4"
        everyone = await api.patch(
            world.path(f"/roles/{world.guild_id}"), json={"permissions": 0}, headers=owner
        )
        assert everyone.status_code == 200 and everyone.json()["permissions"] == "0"
        events = taken()
    low_update, everyone_update = events
    assert low_update.affects == {int(world["target"].id)}
    members = {int(a.id) for n, a in world.actors.items() if n != "outsider"}
    assert everyone_update.affects == members


async def test_changing_a_role_keeps_permissions_the_caller_lacks_but_cannot_add_them(
    api, services
):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    owner, mod = world["owner"].headers, world["mod"].headers
    low = world.path(f"/roles/{world.roles['low']['id']}")
    ban = str(int(Permission.BAN_MEMBERS))
    assert_error(
        await api.patch(low, json={"permissions": ban}, headers=mod), 403, MISSING_PERMISSIONS
    )
    assert (await api.patch(low, json={"permissions": ban}, headers=owner)).status_code == 200
    renamed = await api.patch(low, json={"name": "still bans"}, headers=mod)
    assert renamed.status_code == 200 and renamed.json()["permissions"] == ban
    cleared = await api.patch(low, json={"permissions": "0"}, headers=mod)
    assert cleared.status_code == 200 and cleared.json()["permissions"] == "0"


async def test_everyone_keeps_its_name(api, services):
    world = await build_world(api, services)
    url = world.path(f"/roles/{world.guild_id}")
    owner = world["owner"].headers
    response = await api.patch(url, json={"name": "everybody"}, headers=owner)
    assert_error(response, 400, INVALID_ROLE)
    same = await api.patch(url, json={"name": "@everyone", "color": 7}, headers=owner)
    assert same.status_code == 200 and same.json()["color"] == 7
    assert {r["name"] for r in await world.role_list()} >= {"@everyone"}


async def test_modify_role_bad_input_stores_nothing(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    before = await world.role_list()
    url = world.path(f"/roles/{world.roles['low']['id']}")
    for body, path in BAD_ROLE_BODIES:
        assert_field_error(await api.patch(url, json=body, headers=owner), *path)
    assert_error(await api.patch(world.path("/roles/1"), json={}, headers=owner), 404, UNKNOWN_ROLE)
    assert_field_error(await api.patch(world.path("/roles/abc"), json={}, headers=owner), "role_id")
    assert await world.role_list() == before


# ---------------------------------------------------------------- delete


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_delete_role_needs_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    low = world.roles["low"]["id"]
    async with recording(services) as taken:
        response = await api.delete(world.path(f"/roles/{low}"), headers=world[actor].headers)
        events = taken()
    names = {r["name"] for r in await world.role_list()}
    if expect(response, status, code, 204):
        assert "low" not in names
        assert (await world.member("target")).json()["roles"] == []
        [deleted] = events
        assert deleted.type == "GUILD_ROLE_DELETE"
        assert deleted.data == {"guild_id": world.guild_id, "role_id": low}
        assert deleted.affects == {int(world["target"].id)}  # it lost the role's permissions
    else:
        assert "low" in names and events == []


async def test_delete_role_refusals(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    owner, mod = world["owner"].headers, world["mod"].headers
    before = await world.role_list()
    everyone = await api.delete(world.path(f"/roles/{world.guild_id}"), headers=owner)
    assert_error(everyone, 400, INVALID_ROLE)
    for name in ("mod", "high"):
        response = await api.delete(world.path(f"/roles/{world.roles[name]['id']}"), headers=mod)
        assert_error(response, 403, MISSING_PERMISSIONS)
    assert_error(await api.delete(world.path("/roles/1"), headers=owner), 404, UNKNOWN_ROLE)
    assert_field_error(await api.delete(world.path("/roles/abc"), headers=owner), "role_id")
    assert await world.role_list() == before


# ---------------------------------------------------------------- reorder


async def _with_lowest(world: World) -> None:
    """Add "lowest" under "low", so a mod (then at 3) has two roles below it to swap."""
    response = await world.api.post(
        world.path("/roles"), json={"name": "lowest"}, headers=world["owner"].headers
    )
    assert response.status_code == 200, response.text
    world.roles = {r["name"]: r for r in await world.role_list()}


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_reorder_roles_needs_manage_roles(api, services, actor, status, code):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    await _with_lowest(world)
    before = await positions(world)
    swap = [
        {"id": world.roles["low"]["id"], "position": 1},
        {"id": world.roles["lowest"]["id"], "position": 2},
    ]
    async with recording(services) as taken:
        response = await api.patch(world.path("/roles"), json=swap, headers=world[actor].headers)
        events = taken()
    if expect(response, status, code, 200):
        expected = {**before, "low": 1, "lowest": 2}
        assert {r["name"]: r["position"] for r in response.json()} == expected
        assert await positions(world) == expected
        moved = {e.data["role"]["name"]: e.data["role"]["position"] for e in events}
        assert moved == {"low": 1, "lowest": 2}
        assert all(e.type == "GUILD_ROLE_UPDATE" for e in events)
    else:
        assert await positions(world) == before and events == []


async def test_reorder_respects_hierarchy(api, services):
    world = await build_world(api, services, Permission.MANAGE_ROLES)
    await _with_lowest(world)
    before = await positions(world)  # lowest 1, low 2, mod 3, high 4
    refusals = [
        [{"id": world.roles["low"]["id"], "position": 3}],  # up to the caller's rank
        [{"id": world.roles["low"]["id"], "position": 4}],  # above it
        [{"id": world.roles["mod"]["id"], "position": 1}],  # the caller's own role
        [{"id": world.roles["high"]["id"], "position": 1}],  # a higher role
        [  # one allowed move does not carry a refused one
            {"id": world.roles["lowest"]["id"], "position": 2},
            {"id": world.roles["high"]["id"], "position": 1},
        ],
    ]
    for moves in refusals:
        response = await api.patch(world.path("/roles"), json=moves, headers=world["mod"].headers)
        assert_error(response, 403, MISSING_PERMISSIONS)
    assert await positions(world) == before


async def test_everyone_stays_at_position_zero(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    before = await positions(world)
    unmoved = await api.patch(
        world.path("/roles"), json=[{"id": world.guild_id, "position": 0}], headers=owner
    )
    assert unmoved.status_code == 200 and len(unmoved.json()) == len(before)
    for moves in (
        [{"id": world.guild_id, "position": 1}],
        [{"id": world.roles["low"]["id"], "position": 0}],
    ):
        response = await api.patch(world.path("/roles"), json=moves, headers=owner)
        assert_error(response, 400, INVALID_ROLE)
    assert await positions(world) == before


async def test_reorder_bad_input_moves_nothing(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    low = world.roles["low"]["id"]
    before = await positions(world)
    for body, path in (
        ({"id": low, "position": 2}, ("_body",)),
        ([{"id": "abc", "position": 2}], ("0", "id")),
        ([{"id": True, "position": 2}], ("0", "id")),
        ([{"id": low, "position": -1}], ("0", "position")),
        ([{"id": low, "position": 251}], ("0", "position")),
        ([{"id": low, "position": "2"}], ("0", "position")),
        ([{"id": low}], ("0", "position")),
        ([{"id": low, "position": 2, "extra": 1}], ("0", "extra")),
        ([{"id": low, "position": 3}, "nope"], ("1",)),
    ):
        response = await api.patch(world.path("/roles"), json=body, headers=owner)
        assert_field_error(response, *path)
    unknown = await api.patch(
        world.path("/roles"), json=[{"id": "1", "position": 2}], headers=owner
    )
    assert_error(unknown, 404, UNKNOWN_ROLE)
    assert await positions(world) == before
