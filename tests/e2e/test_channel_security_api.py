"""Channel moves, syncs and overwrite edits cannot reach past what the caller may see and hold.

The world: the owner's guild has #secret, hidden from @everyone. A member
holds a "manager" role with MANAGE_CHANNELS and MANAGE_ROLES, but neither
MANAGE_MESSAGES nor sight of #secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import (
    VIEW_CHANNEL,
    Person,
    guild,
    identified,
    join,
    person,
    post,
    text_channel,
)

MANAGE_CHANNELS = 1 << 4
MANAGE_MESSAGES = 1 << 13
MANAGE_ROLES = 1 << 28
ADMINISTRATOR = 1 << 3
SEND_MESSAGES = 1 << 11


@dataclass
class World:
    owner: Person
    manager: Person
    home: dict[str, Any]
    general: str
    secret: str


def _ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


async def _world(api: httpx.AsyncClient) -> World:
    owner, manager = await person(api, "owner"), await person(api, "manager")
    home = await guild(api, owner)
    await join(api, owner, manager, home)
    hidden = [{"id": home["id"], "type": 0, "deny": str(VIEW_CHANNEL)}]
    secret = _ok(
        await api.post(
            f"/guilds/{home['id']}/channels",
            json={"name": "secret", "topic": "the plans", "permission_overwrites": hidden},
            headers=owner.headers,
        ),
        201,
    )["id"]
    await post(api, owner, secret, "hidden words")
    role = _ok(
        await api.post(
            f"/guilds/{home['id']}/roles",
            json={"name": "manager", "permissions": str(MANAGE_CHANNELS | MANAGE_ROLES)},
            headers=owner.headers,
        ),
        200,
    )
    _ok(
        await api.put(
            f"/guilds/{home['id']}/members/{manager.id}/roles/{role['id']}",
            headers=owner.headers,
        ),
        204,
    )
    return World(owner, manager, home, text_channel(home), secret)


async def _category(api: httpx.AsyncClient, world: World, who: Person, **extra: Any) -> str:
    created = await api.post(
        f"/guilds/{world.home['id']}/channels",
        json={"name": "cat", "type": 4, **extra},
        headers=who.headers,
    )
    return str(_ok(created, 201)["id"])


async def _secret_unchanged(api: httpx.AsyncClient, world: World) -> None:
    seen = _ok(await api.get(f"/channels/{world.secret}", headers=world.owner.headers), 200)
    assert seen["parent_id"] is None
    assert seen["permission_overwrites"] == [
        {"id": world.home["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
    ]
    history = await api.get(f"/channels/{world.secret}/messages", headers=world.manager.headers)
    assert history.status_code == 404, history.text


@bounded
async def test_a_hidden_channel_cannot_be_moved_or_synced_into_a_category(api):
    world = await _world(api)
    category = await _category(api, world, world.manager)
    for move in (
        {"id": world.secret, "parent_id": category, "lock_permissions": True},
        {"id": world.secret, "parent_id": category},
        {"id": world.secret, "position": 0},
    ):
        answer = await api.patch(
            f"/guilds/{world.home['id']}/channels", json=[move], headers=world.manager.headers
        )
        assert answer.status_code == 400, (move, answer.text)
        assert answer.json()["errors"]["0"]["id"]["_errors"][0]["code"] == "CHANNEL_UNKNOWN"
        assert "secret" not in answer.text
    await _secret_unchanged(api, world)


@bounded
async def test_a_channel_cannot_be_moved_into_a_category_the_caller_cannot_see(api):
    world = await _world(api)
    hidden = [{"id": world.home["id"], "type": 0, "deny": str(VIEW_CHANNEL)}]
    category = await _category(api, world, world.owner, permission_overwrites=hidden)
    answer = await api.patch(
        f"/guilds/{world.home['id']}/channels",
        json=[{"id": world.general, "parent_id": category, "lock_permissions": True}],
        headers=world.manager.headers,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"]["0"]["parent_id"]["_errors"][0]["code"] == (
        "CHANNEL_PARENT_INVALID"
    )
    modified = await api.patch(
        f"/channels/{world.general}", json={"parent_id": category}, headers=world.manager.headers
    )
    assert modified.status_code == 400, modified.text
    general = _ok(await api.get(f"/channels/{world.general}", headers=world.owner.headers), 200)
    assert general["parent_id"] is None and general["permission_overwrites"] == []


@bounded
async def test_a_visible_channel_moves_and_syncs_within_what_the_caller_holds(api):
    world = await _world(api)
    deny_send = [{"id": world.home["id"], "type": 0, "deny": str(SEND_MESSAGES)}]
    category = await _category(api, world, world.manager, permission_overwrites=deny_send)
    _ok(
        await api.patch(
            f"/guilds/{world.home['id']}/channels",
            json=[{"id": world.general, "parent_id": category, "lock_permissions": True}],
            headers=world.manager.headers,
        ),
        204,
    )
    general = _ok(await api.get(f"/channels/{world.general}", headers=world.owner.headers), 200)
    assert general["parent_id"] == category
    assert general["permission_overwrites"] == [
        {"id": world.home["id"], "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}
    ]


@bounded
async def test_a_sync_cannot_copy_bits_the_caller_does_not_hold(api):
    world = await _world(api)
    mods = _ok(
        await api.post(
            f"/guilds/{world.home['id']}/roles", json={"name": "mods"}, headers=world.owner.headers
        ),
        200,
    )
    grant = [{"id": mods["id"], "type": 0, "allow": str(MANAGE_MESSAGES)}]
    category = await _category(api, world, world.owner, permission_overwrites=grant)
    refused = await api.patch(
        f"/guilds/{world.home['id']}/channels",
        json=[{"id": world.general, "parent_id": category, "lock_permissions": True}],
        headers=world.manager.headers,
    )
    assert refused.status_code == 403, refused.text
    general = _ok(await api.get(f"/channels/{world.general}", headers=world.owner.headers), 200)
    assert general["parent_id"] is None and general["permission_overwrites"] == []


@bounded
async def test_an_overwrite_cannot_grant_what_the_caller_does_not_hold(api):
    world = await _world(api)
    victim = await post(api, world.owner, world.general, "the owner's words")
    escalate = {"type": 1, "allow": str(MANAGE_MESSAGES)}
    put = await api.put(
        f"/channels/{world.general}/permissions/{world.manager.id}",
        json=escalate,
        headers=world.manager.headers,
    )
    assert put.status_code == 403 and put.json()["code"] == 50013, put.text
    patched = await api.patch(
        f"/channels/{world.general}",
        json={"permission_overwrites": [{"id": world.manager.id, **escalate}]},
        headers=world.manager.headers,
    )
    assert patched.status_code == 403, patched.text
    created = await api.post(
        f"/guilds/{world.home['id']}/channels",
        json={"name": "mine", "permission_overwrites": [{"id": world.manager.id, **escalate}]},
        headers=world.manager.headers,
    )
    assert created.status_code == 403, created.text
    deleted = await api.delete(
        f"/channels/{world.general}/messages/{victim['id']}", headers=world.manager.headers
    )
    assert deleted.status_code == 403, deleted.text
    # What the caller does hold it may grant and deny.
    _ok(
        await api.put(
            f"/channels/{world.general}/permissions/{world.home['id']}",
            json={"type": 0, "deny": str(SEND_MESSAGES)},
            headers=world.manager.headers,
        ),
        204,
    )
    # Nor may it take away an overwrite carrying a bit it lacks.
    _ok(
        await api.put(
            f"/channels/{world.general}/permissions/{world.owner.id}",
            json={"type": 1, "allow": str(MANAGE_MESSAGES)},
            headers=world.owner.headers,
        ),
        204,
    )
    removed = await api.delete(
        f"/channels/{world.general}/permissions/{world.owner.id}", headers=world.manager.headers
    )
    assert removed.status_code == 403, removed.text


@bounded
async def test_administrator_in_an_overwrite_confers_nothing(api):
    world = await _world(api)
    victim = await post(api, world.owner, world.general, "the owner's words")
    _ok(
        await api.put(
            f"/channels/{world.general}/permissions/{world.manager.id}",
            json={"type": 1, "allow": str(ADMINISTRATOR)},
            headers=world.owner.headers,
        ),
        204,
    )
    deleted = await api.delete(
        f"/channels/{world.general}/messages/{victim['id']}", headers=world.manager.headers
    )
    assert deleted.status_code == 403, deleted.text
    seen = _ok(await api.get(f"/channels/{world.general}", headers=world.owner.headers), 200)
    assert [o["allow"] for o in seen["permission_overwrites"]] == ["0"]


@bounded
async def test_the_gateway_shows_a_member_only_the_channels_it_may_see(api, gateway):
    world = await _world(api)
    async with identified(gateway.url, world.manager) as manager:
        created = manager.events("GUILD_CREATE")[0]
        listed = {c["id"] for c in created["channels"]}
        assert world.general in listed and world.secret not in listed
        assert "the plans" not in str(created)
        # Hiding #general: the manager is told it is gone, not what it became.
        _ok(
            await api.put(
                f"/channels/{world.general}/permissions/{world.home['id']}",
                json={"type": 0, "deny": str(VIEW_CHANNEL)},
                headers=world.owner.headers,
            ),
            204,
        )
        gone = await manager.wait_for("CHANNEL_DELETE", lambda d: d["id"] == world.general)
        assert gone["d"]["guild_id"] == world.home["id"]
        # Opening #secret: it arrives as created, then its updates follow.
        _ok(
            await api.delete(
                f"/channels/{world.secret}/permissions/{world.home['id']}",
                headers=world.owner.headers,
            ),
            204,
        )
        shown = await manager.wait_for("CHANNEL_CREATE", lambda d: d["id"] == world.secret)
        assert shown["d"]["topic"] == "the plans"
        _ok(
            await api.patch(
                f"/channels/{world.secret}", json={"topic": "open"}, headers=world.owner.headers
            ),
            200,
        )
        await manager.wait_for("CHANNEL_UPDATE", lambda d: d["topic"] == "open")
        # While hidden, #general's updates and deletion reached the manager not at all.
        assert world.general not in {d["id"] for d in manager.events("CHANNEL_UPDATE")}
        _ok(await api.delete(f"/channels/{world.general}", headers=world.owner.headers), 200)
        _ok(
            await api.patch(
                f"/channels/{world.secret}", json={"topic": "marker"}, headers=world.owner.headers
            ),
            200,
        )
        await manager.wait_for("CHANNEL_UPDATE", lambda d: d["topic"] == "marker")
        assert [d["id"] for d in manager.events("CHANNEL_DELETE")] == [world.general]


@bounded
async def test_a_sync_with_the_current_category_needs_sight_of_it(api):
    world = await _world(api)
    hidden = [{"id": world.home["id"], "type": 0, "deny": str(VIEW_CHANNEL)}]
    category = await _category(api, world, world.owner, permission_overwrites=hidden)
    _ok(
        await api.patch(
            f"/channels/{world.general}", json={"parent_id": category}, headers=world.owner.headers
        ),
        200,
    )
    answer = await api.patch(
        f"/guilds/{world.home['id']}/channels",
        json=[{"id": world.general, "lock_permissions": True}],
        headers=world.manager.headers,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"]["0"]["parent_id"]["_errors"][0]["code"] == (
        "CHANNEL_PARENT_INVALID"
    )
    general = _ok(await api.get(f"/channels/{world.general}", headers=world.owner.headers), 200)
    assert general["permission_overwrites"] == []
