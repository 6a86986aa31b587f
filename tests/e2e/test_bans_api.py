"""Guild bans over real HTTP: list, read, ban (removing the member), unban."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from accord.core.errors import Conflict
from accord.core.permissions import Permission
from tests.e2e.conftest import bearer, register
from tests.e2e.test_members_api import (
    MATRIX,
    MISSING_PERMISSIONS,
    UNKNOWN_BAN,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_USER,
    World,
    add_bot,
    assert_error,
    assert_field_error,
    build_world,
    expect,
    of_type,
    recording,
)


async def ban_list(world: World) -> list[str]:
    response = await world.api.get(world.path("/bans"), headers=world["owner"].headers)
    assert response.status_code == 200, response.text
    return [b["user"]["id"] for b in response.json()]


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_ban_needs_ban_members_and_removes_the_member(api, services, actor, status, code):
    world = await build_world(api, services, Permission.BAN_MEMBERS)
    target = world["target"]
    async with recording(services) as taken:
        response = await api.put(world.path(f"/bans/{target.id}"), headers=world[actor].headers)
        events = taken()
    if expect(response, status, code, 204):
        assert await ban_list(world) == [target.id]
        assert_error(await world.member("target"), 404, UNKNOWN_MEMBER)
        assert [e.type for e in events] == ["GUILD_BAN_ADD", "GUILD_MEMBER_REMOVE", "GUILD_DELETE"]
        ban_add = events[0]
        assert ban_add.guild_id == int(world.guild_id)
        assert ban_add.data["guild_id"] == world.guild_id
        assert ban_add.data["user"]["id"] == target.id
        assert ban_add.affects == {int(target.id)}  # they no longer see the guild's events
        assert events[2].user_ids == {int(target.id)} and events[2].affects == {int(target.id)}
        assert_error(await api.get(world.path(), headers=target.headers), 404, UNKNOWN_GUILD)
    else:
        assert await ban_list(world) == [] and events == []
        assert (await world.member("target")).status_code == 200


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_unban_needs_ban_members(api, services, actor, status, code):
    world = await build_world(api, services, Permission.BAN_MEMBERS)
    target = world["target"]
    banned = await api.put(world.path(f"/bans/{target.id}"), headers=world["owner"].headers)
    assert banned.status_code == 204
    async with recording(services) as taken:
        response = await api.delete(world.path(f"/bans/{target.id}"), headers=world[actor].headers)
        events = taken()
    if expect(response, status, code, 204):
        assert await ban_list(world) == []
        [removed] = events
        assert removed.type == "GUILD_BAN_REMOVE"
        assert removed.data["guild_id"] == world.guild_id
        assert removed.data["user"]["id"] == target.id
        await world.join("target")  # unbanned: may come back
        assert (await world.member("target")).status_code == 200
    else:
        assert await ban_list(world) == [target.id] and events == []


@pytest.mark.parametrize(("actor", "status", "code"), MATRIX)
async def test_reading_bans_needs_ban_members(api, services, actor, status, code):
    world = await build_world(api, services, Permission.BAN_MEMBERS)
    target = world["target"].id
    assert (
        await api.put(world.path(f"/bans/{target}"), headers=world["owner"].headers)
    ).status_code == 204
    listing = await api.get(world.path("/bans"), headers=world[actor].headers)
    single = await api.get(world.path(f"/bans/{target}"), headers=world[actor].headers)
    if expect(listing, status, code, 200):
        assert [b["user"]["id"] for b in listing.json()] == [target]
        assert expect(single, status, code, 200)
        assert single.json() == {"reason": None, "user": listing.json()[0]["user"]}
    else:
        expect(single, status, code, 200)


async def test_banned_user_cannot_rejoin(api, services):
    world = await build_world(api, services)
    target = world["target"].id
    assert (
        await api.put(world.path(f"/bans/{target}"), headers=world["owner"].headers)
    ).status_code == 204
    with pytest.raises(Conflict) as refused:
        await world.join("target")
    assert refused.value.code == "USER_BANNED" and refused.value.discord_code == 40007
    assert_error(await world.member("target"), 404, UNKNOWN_MEMBER)


async def test_banned_user_cannot_rejoin_by_invite_until_unbanned(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    channel_id = (await api.get(world.path("/channels"), headers=owner)).json()[0]["id"]
    invite = await api.post(f"/channels/{channel_id}/invites", json={"max_age": 0}, headers=owner)
    assert invite.status_code == 200, invite.text
    code = invite.json()["code"]
    # Invites are for people: a registered human, not one of the world's bots.
    human = bearer((await register(api, "wanderer"))["access_token"])
    human_id = (await api.get("/users/@me", headers=human)).json()["id"]
    assert (await api.post(f"/invites/{code}", headers=human)).status_code == 200
    assert (await api.put(world.path(f"/bans/{human_id}"), headers=owner)).status_code == 204
    refused = await api.post(f"/invites/{code}", headers=human)
    assert_error(refused, 403, 40007)
    members = await api.get(world.path("/members?limit=1000"), headers=owner)
    assert human_id not in {m["user"]["id"] for m in members.json()}
    assert (await api.delete(world.path(f"/bans/{human_id}"), headers=owner)).status_code == 204
    assert (await api.post(f"/invites/{code}", headers=human)).status_code == 200


async def test_banning_a_non_member_is_allowed_and_blocks_joining(api, services):
    world = await build_world(api, services)
    outsider = world["outsider"].id
    async with recording(services) as taken:
        response = await api.put(world.path(f"/bans/{outsider}"), headers=world["owner"].headers)
        events = taken()
    assert response.status_code == 204
    assert [e.type for e in events] == ["GUILD_BAN_ADD"]  # there was no membership to end
    assert events[0].affects == frozenset()
    assert await ban_list(world) == [outsider]
    with pytest.raises(Conflict):
        await world.join("outsider")
    unknown_user = await api.put(world.path("/bans/1"), headers=world["owner"].headers)
    assert_error(unknown_user, 404, UNKNOWN_USER)
    assert await ban_list(world) == [outsider]


async def test_ban_of_owner_or_member_at_or_above_caller_is_refused(api, services):
    world = await build_world(api, services, Permission.BAN_MEMBERS | Permission.ADMINISTRATOR)
    for victim in ("owner", "peer", "senior", "mod"):
        response = await api.put(
            world.path(f"/bans/{world[victim].id}"), headers=world["mod"].headers
        )
        assert_error(response, 403, MISSING_PERMISSIONS)
        assert (await world.member(victim)).status_code == 200
    owner_self = await api.put(
        world.path(f"/bans/{world['owner'].id}"), headers=world["owner"].headers
    )
    assert_error(owner_self, 403, MISSING_PERMISSIONS)
    assert await ban_list(world) == []


async def test_banning_twice_keeps_the_first_ban(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    target = world["target"].id
    first = await api.put(
        world.path(f"/bans/{target}"), headers={**owner, "X-Audit-Log-Reason": "first"}
    )
    assert first.status_code == 204
    async with recording(services) as taken:
        again = await api.put(
            world.path(f"/bans/{target}"), headers={**owner, "X-Audit-Log-Reason": "second"}
        )
        assert again.status_code == 204 and taken() == []
    assert (await api.get(world.path(f"/bans/{target}"), headers=owner)).json()["reason"] == "first"


async def test_the_reason_comes_from_the_audit_log_header(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    target = world["target"].id
    reason = "spam & abuse, 100% sure"
    response = await api.put(
        world.path(f"/bans/{target}"), headers={**owner, "X-Audit-Log-Reason": quote(reason)}
    )
    assert response.status_code == 204
    ban = (await api.get(world.path(f"/bans/{target}"), headers=owner)).json()
    assert ban["reason"] == reason and ban["user"]["id"] == target
    too_long = await api.put(
        world.path(f"/bans/{world['plain'].id}"), headers={**owner, "X-Audit-Log-Reason": "x" * 513}
    )
    assert_field_error(too_long, "reason")
    assert (await world.member("plain")).status_code == 200


async def test_ban_deletes_the_users_recent_messages_when_asked(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    channel_id = (await api.get(world.path("/channels"), headers=owner)).json()[0]["id"]
    sent = {}
    for who in ("target", "target", "plain"):
        response = await api.post(
            f"/channels/{channel_id}/messages", json={"content": who}, headers=world[who].headers
        )
        assert response.status_code == 200, response.text
        sent.setdefault(who, []).append(response.json()["id"])
    async with recording(services) as taken:
        response = await api.put(
            world.path(f"/bans/{world['target'].id}"),
            json={"delete_message_seconds": 3600},
            headers=owner,
        )
        events = taken()
    assert response.status_code == 204
    remaining = (await api.get(f"/channels/{channel_id}/messages", headers=owner)).json()
    assert [m["id"] for m in remaining] == sent["plain"]
    [bulk] = of_type(events, "MESSAGE_DELETE_BULK")
    assert sorted(bulk.data["ids"]) == sorted(sent["target"])
    assert bulk.channel_id == int(channel_id) and bulk.data["guild_id"] == world.guild_id


async def test_ban_without_deletion_keeps_messages(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    channel_id = (await api.get(world.path("/channels"), headers=owner)).json()[0]["id"]
    posted = await api.post(
        f"/channels/{channel_id}/messages", json={"content": "hi"}, headers=world["target"].headers
    )
    assert posted.status_code == 200
    response = await api.put(
        world.path(f"/bans/{world['target'].id}"), json={"delete_message_seconds": 0}, headers=owner
    )
    assert response.status_code == 204
    remaining = (await api.get(f"/channels/{channel_id}/messages", headers=owner)).json()
    assert [m["id"] for m in remaining] == [posted.json()["id"]]


BAD_BAN_BODIES = [
    ({"delete_message_seconds": -1}, ("delete_message_seconds",)),
    ({"delete_message_seconds": 604_801}, ("delete_message_seconds",)),
    ({"delete_message_seconds": "60"}, ("delete_message_seconds",)),
    ({"delete_message_seconds": True}, ("delete_message_seconds",)),
    ({"delete_message_seconds": 1.5}, ("delete_message_seconds",)),
    ({"delete_message_days": 8}, ("delete_message_days",)),
    ({"reason": "in the body"}, ("reason",)),
    ({"bogus": 1}, ("bogus",)),
]


async def test_ban_bad_input_bans_nobody(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    target = world["target"].id
    for body, path in BAD_BAN_BODIES:
        response = await api.put(world.path(f"/bans/{target}"), json=body, headers=owner)
        assert_field_error(response, *path)
    not_json = await api.put(
        world.path(f"/bans/{target}"),
        content=b"{",
        headers={**owner, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    wrong_media = await api.put(
        world.path(f"/bans/{target}"), content=b"x", headers={**owner, "Content-Type": "text/plain"}
    )
    assert wrong_media.status_code == 415
    assert_field_error(await api.put(world.path("/bans/abc"), headers=owner), "user_id")
    assert_field_error(await api.put("/guilds/abc/bans/1", headers=owner), "guild_id")
    assert await ban_list(world) == []
    assert (await world.member("target")).status_code == 200


async def test_list_bans_pages_by_user_id(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    names = ("plain", "target", "outsider")
    for name in names:
        assert (
            await api.put(world.path(f"/bans/{world[name].id}"), headers=owner)
        ).status_code == 204
    # A banned user who never was a member, made after the others: the highest id.
    late = await add_bot(services, "late", world["outsider"].id)
    assert (await api.put(world.path(f"/bans/{late.id}"), headers=owner)).status_code == 204
    ids = sorted([world[n].id for n in names] + [late.id], key=int)
    assert await ban_list(world) == ids  # Discord's default page holds up to 1000
    page = await api.get(world.path(f"/bans?limit=2&after={ids[0]}"), headers=owner)
    assert [b["user"]["id"] for b in page.json()] == ids[1:3]
    for query, field_name in (
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
        ("after=x", "after"),
        (f"before={ids[-1]}", "before"),
    ):
        response = await api.get(world.path(f"/bans?{query}"), headers=owner)
        assert_field_error(response, field_name)


async def test_unknown_bans(api, services):
    world = await build_world(api, services)
    owner = world["owner"].headers
    target = world["target"].id
    assert_error(await api.get(world.path(f"/bans/{target}"), headers=owner), 404, UNKNOWN_BAN)
    assert_error(await api.delete(world.path(f"/bans/{target}"), headers=owner), 404, UNKNOWN_BAN)
    assert_field_error(await api.get(world.path("/bans/abc"), headers=owner), "user_id")
    assert_field_error(await api.delete(world.path("/bans/abc"), headers=owner), "user_id")
