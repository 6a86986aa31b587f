"""Typing indicators, guild message search and channel reordering over real HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import trio

from accord.core.entities import Role
from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake
from tests.e2e.conftest import account, bounded


async def _world(api, services):
    """An owner's guild, a plain member, and an outsider."""
    owner, owner_id = await account(api, "owner")
    guild = (await api.post("/guilds", json={"name": "Busy"}, headers=owner)).json()
    member, member_id = await account(api, "member")
    outsider, _ = await account(api, "outsider")
    gid = Snowflake(int(guild["id"]))
    await services.storage.members.add_member(gid, member_id, datetime.now(UTC))
    return SimpleNamespace(
        owner=owner,
        owner_id=owner_id,
        member=member,
        member_id=member_id,
        outsider=outsider,
        gid=gid,
        cid=guild["channels"][0]["id"],
    )


async def _member_with(api, services, world, name, permissions):
    headers, user_id = await account(api, name)
    await services.storage.members.add_member(world.gid, user_id, datetime.now(UTC))
    role = Role(services.ids.next_id(), world.gid, f"{name}-role", permissions, position=1)
    await services.storage.roles.create_role(role)
    assert await services.storage.members.add_member_role(world.gid, user_id, role.id)
    return headers


async def _channel(api, world, name, **extra):
    created = await api.post(
        f"/guilds/{world.gid}/channels", json={"name": name, **extra}, headers=world.owner
    )
    assert created.status_code == 201, created.text
    return created.json()


async def _deny_everyone(api, world, channel_id, permission):
    response = await api.put(
        f"/channels/{channel_id}/permissions/{world.gid}",
        json={"type": 0, "deny": str(int(permission))},
        headers=world.owner,
    )
    assert response.status_code == 204, response.text


async def _say(api, world, channel_id, content):
    sent = await api.post(
        f"/channels/{channel_id}/messages", json={"content": content}, headers=world.owner
    )
    assert sent.status_code == 200, sent.text
    return sent.json()["id"]


def _drain(events):
    """Every event published so far: publishing finishes before the HTTP response does."""
    seen = []
    while True:
        try:
            seen.append(events.receive_nowait())
        except trio.WouldBlock:
            return seen


# Typing


@bounded
async def test_typing_publishes_once_per_user_and_channel_per_window(api, services):
    world = await _world(api, services)
    other = (await _channel(api, world, "other"))["id"]
    async with services.bus.subscribe() as events:
        for headers, channel_id in (
            (world.owner, world.cid),
            (world.owner, world.cid),  # inside the window: 204, nothing published
            (world.member, world.cid),  # another user has a window of their own
            (world.owner, other),  # and so does another channel
        ):
            response = await api.post(f"/channels/{channel_id}/typing", headers=headers)
            assert response.status_code == 204 and response.content == b""
        published = _drain(events)
    assert [e.type for e in published] == ["TYPING_START"] * 3
    assert [(e.data["user_id"], e.data["channel_id"]) for e in published] == [
        (str(world.owner_id), world.cid),
        (str(world.member_id), world.cid),
        (str(world.owner_id), other),
    ]
    first = published[0]
    assert first.guild_id == world.gid and str(first.channel_id) == world.cid
    assert first.data["guild_id"] == str(world.gid)
    assert isinstance(first.data["timestamp"], int)
    assert abs(first.data["timestamp"] - time.time()) < 60
    assert first.data["member"]["user"]["id"] == str(world.owner_id)


@bounded
async def test_typing_needs_send_messages_in_a_text_channel(api, services):
    world = await _world(api, services)
    outsider = await api.post(f"/channels/{world.cid}/typing", headers=world.outsider)
    assert outsider.status_code == 404 and outsider.json()["code"] == 10003
    await _deny_everyone(api, world, world.cid, Permission.SEND_MESSAGES)
    muted = await api.post(f"/channels/{world.cid}/typing", headers=world.member)
    assert muted.status_code == 403 and muted.json()["code"] == 50013
    speaker = await _member_with(api, services, world, "speaker", Permission.ADMINISTRATOR)
    assert (await api.post(f"/channels/{world.cid}/typing", headers=speaker)).status_code == 204
    assert (await api.post(f"/channels/{world.cid}/typing", headers=world.owner)).status_code == 204
    category = (await _channel(api, world, "Cat", type=4))["id"]
    wrong_kind = await api.post(f"/channels/{category}/typing", headers=world.owner)
    assert wrong_kind.status_code == 400 and wrong_kind.json()["code"] == 50008
    bad_id = await api.post("/channels/abc/typing", headers=world.owner)
    assert bad_id.status_code == 400 and "channel_id" in bad_id.json()["errors"]


@bounded
async def test_typing_in_a_dm_is_refused_once_no_guild_is_shared(api, services):
    """As a send is (50007), until the recipient allows DMs from anyone."""
    world = await _world(api, services)
    dm = await api.post(
        "/users/@me/channels", json={"recipient_id": str(world.owner_id)}, headers=world.member
    )
    assert dm.status_code == 200, dm.text
    typing_url = f"/channels/{dm.json()['id']}/typing"
    assert (await api.post(typing_url, headers=world.member)).status_code == 204
    left = await api.delete(f"/users/@me/guilds/{world.gid}", headers=world.member)
    assert left.status_code == 204, left.text
    async with services.bus.subscribe() as events:
        refused = await api.post(typing_url, headers=world.member)
        published = _drain(events)
    assert refused.status_code == 403 and refused.json()["code"] == 50007, refused.text
    assert published == []
    opened = await api.patch(
        "/users/@me/settings", json={"allow_dms_from_anyone": True}, headers=world.owner
    )
    assert opened.status_code == 200, opened.text
    assert (await api.post(typing_url, headers=world.member)).status_code == 204


# Search


@bounded
async def test_search_only_returns_messages_from_readable_channels(api, services):
    world = await _world(api, services)
    secret = (await _channel(api, world, "secret"))["id"]
    await _deny_everyone(api, world, secret, Permission.VIEW_CHANNEL)
    archive = (await _channel(api, world, "archive"))["id"]
    await _deny_everyone(api, world, archive, Permission.READ_MESSAGE_HISTORY)
    public = await _say(api, world, world.cid, "the needle is here")
    await _say(api, world, world.cid, "only hay in this one")
    hidden = await _say(api, world, secret, "a secret needle")
    unread = await _say(api, world, archive, "an archived needle")
    url = f"/guilds/{world.gid}/messages/search?content=needle"
    member = await api.get(url, headers=world.member)
    assert member.status_code == 200, member.text
    assert member.json()["total_results"] == 1
    [[message]] = member.json()["messages"]
    assert message["id"] == public and message["content"] == "the needle is here"
    assert message["hit"] is True and message["channel_id"] == world.cid
    owner = (await api.get(url, headers=world.owner)).json()
    assert owner["total_results"] == 3
    assert [m[0]["id"] for m in owner["messages"]] == [unread, hidden, public]  # newest first
    outsider = await api.get(url, headers=world.outsider)
    assert outsider.status_code == 404 and outsider.json()["code"] == 10004


@bounded
async def test_search_pages_filters_by_channel_and_refuses_bad_input(api, services):
    world = await _world(api, services)
    other = (await _channel(api, world, "other"))["id"]
    ids = [await _say(api, world, world.cid, f"match number {n}") for n in range(3)]
    elsewhere = await _say(api, world, other, "match elsewhere")
    base = f"/guilds/{world.gid}/messages/search"
    page = (await api.get(f"{base}?content=match&limit=2", headers=world.member)).json()
    assert page["total_results"] == 4
    assert [m[0]["id"] for m in page["messages"]] == [elsewhere, ids[2]]
    rest = (await api.get(f"{base}?content=match&limit=2&offset=2", headers=world.member)).json()
    assert [m[0]["id"] for m in rest["messages"]] == [ids[1], ids[0]]
    only = await api.get(f"{base}?content=match&channel_id={other}", headers=world.member)
    assert [m[0]["id"] for m in only.json()["messages"]] == [elsewhere]
    nothing = (await api.get(f"{base}?content=absent", headers=world.member)).json()
    assert nothing == {"messages": [], "total_results": 0}
    for query, field in (
        ("", "content"),
        ("content=%20%20", "content"),
        (f"content={'x' * 1025}", "content"),
        ("content=match&limit=0", "limit"),
        ("content=match&limit=26", "limit"),
        ("content=match&limit=many", "limit"),
        ("content=match&offset=-1", "offset"),
        ("content=match&offset=5001", "offset"),
        ("content=match&channel_id=abc", "channel_id"),
    ):
        bad = await api.get(f"{base}?{query}", headers=world.member)
        assert bad.status_code == 400, (query, bad.text)
        assert field in bad.json()["errors"], (query, bad.json())
    bad_guild = await api.get("/guilds/abc/messages/search?content=x", headers=world.member)
    assert bad_guild.status_code == 400


# Channel reordering


async def _positions(api, world):
    listing = await api.get(f"/guilds/{world.gid}/channels", headers=world.owner)
    return {c["id"]: (c["position"], c["parent_id"]) for c in listing.json()}


@bounded
async def test_reorder_moves_channels_and_announces_only_the_moved_ones(api, services):
    world = await _world(api, services)
    category = (await _channel(api, world, "Cat", type=4))["id"]
    second = (await _channel(api, world, "second"))["id"]
    before = await _positions(api, world)
    async with services.bus.subscribe() as events:
        response = await api.patch(
            f"/guilds/{world.gid}/channels",
            json=[
                {"id": world.cid, "position": 5, "parent_id": category},
                {"id": second, "position": 0},
                {"id": category, "position": before[category][0]},  # unchanged
            ],
            headers=world.owner,
        )
        published = _drain(events)
    assert response.status_code == 204, response.text
    after = await _positions(api, world)
    assert after[world.cid] == (5, category) and after[second] == (0, None)
    assert after[category] == before[category]
    assert sorted(e.data["id"] for e in published) == sorted([world.cid, second])
    assert all(e.type == "CHANNEL_UPDATE" and e.guild_id == world.gid for e in published)
    assert {str(e.channel_id) for e in published} == {world.cid, second}
    out = await api.patch(
        f"/guilds/{world.gid}/channels",
        json=[{"id": world.cid, "parent_id": None}],
        headers=world.owner,
    )
    assert out.status_code == 204
    assert (await _positions(api, world))[world.cid] == (5, None)  # position kept


@bounded
async def test_reorder_can_sync_permissions_with_the_new_parent(api, services):
    world = await _world(api, services)
    category = (await _channel(api, world, "Staff", type=4))["id"]
    await _deny_everyone(api, world, category, Permission.VIEW_CHANNEL)
    async with services.bus.subscribe() as events:
        response = await api.patch(
            f"/guilds/{world.gid}/channels",
            json=[{"id": world.cid, "parent_id": category, "lock_permissions": True}],
            headers=world.owner,
        )
        published = _drain(events)
    assert response.status_code == 204, response.text
    channel = (await api.get(f"/channels/{world.cid}", headers=world.owner)).json()
    assert channel["parent_id"] == category
    assert channel["permission_overwrites"] == [
        {"id": str(world.gid), "type": 0, "allow": "0", "deny": str(int(Permission.VIEW_CHANNEL))}
    ]
    [event] = published
    # Scoped to the channel: the gateway tells those who lost sight of it CHANNEL_DELETE.
    assert str(event.channel_id) == world.cid and event.guild_id == world.gid
    assert (await api.get(f"/channels/{world.cid}", headers=world.member)).status_code == 404


@bounded
async def test_reorder_authorization(api, services):
    world = await _world(api, services)
    url, body = f"/guilds/{world.gid}/channels", [{"id": world.cid, "position": 3}]
    outsider = await api.patch(url, json=body, headers=world.outsider)
    assert outsider.status_code == 404 and outsider.json()["code"] == 10004
    member = await api.patch(url, json=body, headers=world.member)
    assert member.status_code == 403 and member.json()["code"] == 50013
    manager = await _member_with(api, services, world, "manager", Permission.MANAGE_CHANNELS)
    assert (await api.patch(url, json=body, headers=manager)).status_code == 204
    syncing = [{"id": world.cid, "position": 1, "lock_permissions": True}]
    refused = await api.patch(url, json=syncing, headers=manager)
    assert refused.status_code == 403  # rewriting overwrites also takes MANAGE_ROLES
    body[0]["position"] = 7
    assert (await api.patch(url, json=body, headers=world.owner)).status_code == 204
    assert (await _positions(api, world))[world.cid] == (7, None)


@bounded
async def test_reorder_refuses_bad_input_and_moves_nothing(api, services):
    world = await _world(api, services)
    category = (await _channel(api, world, "Cat", type=4))["id"]
    other_guild = (await api.post("/guilds", json={"name": "Other"}, headers=world.owner)).json()
    foreign = other_guild["channels"][0]["id"]
    before = await _positions(api, world)
    url = f"/guilds/{world.gid}/channels"
    for body, field in (
        ({"id": world.cid, "position": 1}, None),  # an object, not a list
        ([], "_body"),
        ([{"position": 1}], "0"),
        ([{"id": "abc", "position": 1}], "0"),
        ([{"id": foreign, "position": 1}], "0"),
        ([{"id": world.cid, "position": "top"}], "0"),
        ([{"id": world.cid, "position": -1}], "0"),
        ([{"id": world.cid, "position": True}], "0"),
        ([{"id": world.cid, "position": 1, "lock_permissions": "yes"}], "0"),
        ([{"id": world.cid, "position": 1, "bogus": True}], "0"),
        ([{"id": world.cid, "parent_id": world.cid}], "0"),
        ([{"id": category, "parent_id": category}], "0"),
        ([{"id": world.cid, "position": 1}, {"id": world.cid, "position": 2}], "_body"),
        ([{"id": world.cid, "position": 1}, {"id": foreign, "position": 2}], "1"),
    ):
        response = await api.patch(url, json=body, headers=world.owner)
        assert response.status_code == 400, (body, response.text)
        if field is not None:
            assert field in response.json()["errors"], (body, response.json())
    assert await _positions(api, world) == before


@bounded
async def test_openapi_documents_the_new_request_bodies(api):
    document = (await api.get("/openapi.json")).json()
    paths = document["paths"]
    assert "requestBody" in paths["/api/v10/guilds/{guild_id}/channels"]["patch"]
    assert "requestBody" in paths["/api/v10/channels/{channel_id}/invites"]["post"]
