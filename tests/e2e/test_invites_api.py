"""Invites over real HTTP: create, list, preview, accept, delete, with their limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import trio

from accord.core.entities import Invite, Role
from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake
from tests.e2e.conftest import account, bounded


async def _world(api, services):
    """An owner with a guild, a plain member, and an outsider."""
    owner, owner_id = await account(api, "owner")
    created = await api.post("/guilds", json={"name": "Invites"}, headers=owner)
    guild = created.json()
    member, member_id = await account(api, "member")
    outsider, outsider_id = await account(api, "outsider")
    gid = Snowflake(int(guild["id"]))
    await services.storage.members.add_member(gid, member_id, datetime.now(UTC))
    return SimpleNamespace(
        owner=owner,
        owner_id=owner_id,
        member=member,
        member_id=member_id,
        outsider=outsider,
        outsider_id=outsider_id,
        gid=gid,
        cid=guild["channels"][0]["id"],
    )


async def _member_with(api, services, world, name, permissions):
    """A new member holding a role with ``permissions``."""
    headers, user_id = await account(api, name)
    await services.storage.members.add_member(world.gid, user_id, datetime.now(UTC))
    role = Role(services.ids.next_id(), world.gid, f"{name}-role", permissions, position=1)
    await services.storage.roles.create_role(role)
    assert await services.storage.members.add_member_role(world.gid, user_id, role.id)
    return headers, user_id, role


async def _invite(api, world, headers=None, **body):
    response = await api.post(
        f"/channels/{world.cid}/invites",
        json={"unique": True, **body},
        headers=headers or world.owner,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _drain(events):
    """Every event published so far: publishing finishes before the HTTP response does."""
    seen = []
    while True:
        try:
            seen.append(events.receive_nowait())
        except trio.WouldBlock:
            return seen


def _parse(moment):
    return datetime.fromisoformat(moment)


@bounded
async def test_create_invite_has_discords_shape_and_tells_channel_managers(api, services):
    world = await _world(api, services)
    async with services.bus.subscribe() as events:
        response = await api.post(f"/channels/{world.cid}/invites", json={}, headers=world.owner)
        published = _drain(events)
    assert response.status_code == 200, response.text
    invite = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{8}", invite["code"])
    assert invite["type"] == 0
    assert (invite["uses"], invite["max_uses"], invite["max_age"]) == (0, 0, 86400)
    assert invite["temporary"] is False
    assert invite["guild"]["id"] == str(world.gid) and invite["guild"]["name"] == "Invites"
    assert invite["channel"] == {"id": world.cid, "name": "general", "type": 0}
    assert invite["inviter"]["id"] == str(world.owner_id)
    lifetime = _parse(invite["expires_at"]) - _parse(invite["created_at"])
    assert lifetime == timedelta(days=1)
    [event] = [e for e in published if e.type == "INVITE_CREATE"]
    assert event.guild_id == world.gid and str(event.channel_id) == world.cid
    assert event.required == Permission.MANAGE_CHANNELS
    assert event.data["code"] == invite["code"] and event.data["channel_id"] == world.cid
    assert event.data["guild_id"] == str(world.gid)


@bounded
async def test_bare_post_reuses_a_like_invite_unless_unique(api, services):
    world = await _world(api, services)
    url = f"/channels/{world.cid}/invites"
    async with services.bus.subscribe() as events:
        first = await api.post(url, headers=world.owner)  # no body at all
        again = await api.post(url, headers=world.owner)
        published = _drain(events)
    assert first.status_code == 200 and again.status_code == 200, again.text
    assert again.json()["code"] == first.json()["code"]
    assert len([e for e in published if e.type == "INVITE_CREATE"]) == 1
    unique = await api.post(url, json={"unique": True}, headers=world.owner)
    assert unique.json()["code"] != first.json()["code"]
    limited = await api.post(url, json={"max_uses": 5}, headers=world.owner)
    assert limited.json()["code"] not in (first.json()["code"], unique.json()["code"])
    # Another inviter never gets the owner's invite back.
    by_member = await api.post(url, headers=world.member)
    assert by_member.json()["inviter"]["id"] == str(world.member_id)
    assert by_member.json()["code"] != first.json()["code"]


@bounded
async def test_create_invite_authorization(api, services):
    world = await _world(api, services)
    url = f"/channels/{world.cid}/invites"
    outsider = await api.post(url, json={}, headers=world.outsider)
    assert outsider.status_code == 404 and outsider.json()["code"] == 10003
    deny = str(int(Permission.CREATE_INSTANT_INVITE))
    denied = await api.put(
        f"/channels/{world.cid}/permissions/{world.gid}",
        json={"type": 0, "deny": deny},
        headers=world.owner,
    )
    assert denied.status_code == 204, denied.text
    refused = await api.post(url, json={}, headers=world.member)
    assert refused.status_code == 403 and refused.json()["code"] == 50013
    headers, _, role = await _member_with(api, services, world, "inviter", Permission(0))
    allowed = await api.put(
        f"/channels/{world.cid}/permissions/{role.id}",
        json={"type": 0, "allow": deny},
        headers=world.owner,
    )
    assert allowed.status_code == 204
    assert (await api.post(url, json={}, headers=headers)).status_code == 200
    assert (await api.post(url, json={}, headers=world.owner)).status_code == 200


@bounded
async def test_create_invite_bounds_and_bad_input(api, services):
    world = await _world(api, services)
    url = f"/channels/{world.cid}/invites"
    forever = await _invite(api, world, max_age=0, max_uses=100)
    assert forever["expires_at"] is None and forever["max_uses"] == 100
    week = await _invite(api, world, max_age=604800)
    assert _parse(week["expires_at"]) - _parse(week["created_at"]) == timedelta(days=7)
    before = (await api.get(url, headers=world.owner)).json()
    for body, field in [
        ({"max_age": -1}, "max_age"),
        ({"max_age": 604801}, "max_age"),
        ({"max_age": "soon"}, "max_age"),
        ({"max_age": True}, "max_age"),  # not a one-second invite
        ({"max_uses": "5"}, "max_uses"),
        ({"max_uses": 101}, "max_uses"),
        ({"max_uses": -1}, "max_uses"),
        ({"temporary": "maybe"}, "temporary"),
        ({"unique": 1}, "unique"),
        ({"bogus": 1}, "bogus"),
        ({"target_type": 1}, "target_type"),
    ]:
        response = await api.post(url, json=body, headers=world.owner)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["errors"], (body, response.json())
    broken = await api.post(
        url, content=b"{not json", headers={**world.owner, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["code"] == 50109
    bad_id = await api.post("/channels/abc/invites", json={}, headers=world.owner)
    assert bad_id.status_code == 400 and "channel_id" in bad_id.json()["errors"]
    category = await api.post(
        f"/guilds/{world.gid}/channels", json={"name": "Cat", "type": 4}, headers=world.owner
    )
    wrong_kind = await api.post(
        f"/channels/{category.json()['id']}/invites", json={}, headers=world.owner
    )
    assert wrong_kind.status_code == 400 and wrong_kind.json()["code"] == 50024
    after = (await api.get(url, headers=world.owner)).json()
    assert [i["code"] for i in after] == [i["code"] for i in before]  # nothing stored


@bounded
async def test_listing_invites_needs_manage_channels_or_manage_guild(api, services):
    world = await _world(api, services)
    invite = await _invite(api, world)
    channel_url, guild_url = f"/channels/{world.cid}/invites", f"/guilds/{world.gid}/invites"
    for url, code in ((channel_url, 10003), (guild_url, 10004)):
        outsider = await api.get(url, headers=world.outsider)
        assert outsider.status_code == 404 and outsider.json()["code"] == code
        member = await api.get(url, headers=world.member)
        assert member.status_code == 403 and member.json()["code"] == 50013
        owner = await api.get(url, headers=world.owner)
        assert [i["code"] for i in owner.json()] == [invite["code"]]
        assert owner.json()[0]["inviter"]["id"] == str(world.owner_id)
    channels, _, _ = await _member_with(
        api, services, world, "channels", Permission.MANAGE_CHANNELS
    )
    assert [i["code"] for i in (await api.get(channel_url, headers=channels)).json()] == [
        invite["code"]
    ]
    assert (await api.get(guild_url, headers=channels)).status_code == 403
    guilds, _, _ = await _member_with(api, services, world, "guilds", Permission.MANAGE_GUILD)
    listed = await api.get(guild_url, headers=guilds)
    assert listed.status_code == 200 and [i["code"] for i in listed.json()] == [invite["code"]]


@bounded
async def test_anyone_signed_in_can_preview_an_invite(api, services):
    world = await _world(api, services)
    invite = await _invite(api, world)
    preview = await api.get(f"/invites/{invite['code']}", headers=world.outsider)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["guild"]["id"] == str(world.gid) and body["channel"]["id"] == world.cid
    assert "approximate_member_count" not in body
    counted = await api.get(f"/invites/{invite['code']}?with_counts=true", headers=world.outsider)
    assert counted.json()["approximate_member_count"] == 2  # owner and member
    assert counted.json()["approximate_presence_count"] == 0
    for code in ("zzzzzzzz", "no-such!", "x" * 40):
        unknown = await api.get(f"/invites/{code}", headers=world.outsider)
        assert unknown.status_code == 404 and unknown.json()["code"] == 10006, code
    anonymous = await api.get(f"/invites/{invite['code']}")
    assert anonymous.status_code == 401


@bounded
async def test_accepting_joins_once_and_announces_the_join(api, services):
    world = await _world(api, services)
    invite = await _invite(api, world)
    async with services.bus.subscribe() as events:
        joined = await api.post(f"/invites/{invite['code']}", headers=world.outsider)
        published = _drain(events)
    assert joined.status_code == 200, joined.text
    assert joined.json()["new_member"] is True and joined.json()["uses"] == 1
    assert (await api.get(f"/guilds/{world.gid}", headers=world.outsider)).status_code == 200
    kinds = [e.type for e in published]
    assert kinds == ["GUILD_CREATE", "GUILD_MEMBER_ADD"]
    guild_create, member_add = published
    assert guild_create.user_ids == frozenset({world.outsider_id})
    assert guild_create.affects == frozenset({world.outsider_id})
    assert guild_create.data["id"] == str(world.gid)
    assert str(world.outsider_id) in {m["user"]["id"] for m in guild_create.data["members"]}
    assert member_add.guild_id == world.gid and member_add.user_ids is None
    assert member_add.data["guild_id"] == str(world.gid)
    assert member_add.data["user"]["id"] == str(world.outsider_id)
    async with services.bus.subscribe() as events:
        again = await api.post(f"/invites/{invite['code']}", headers=world.outsider)
        assert _drain(events) == []
    assert again.status_code == 200
    assert again.json()["new_member"] is False and again.json()["uses"] == 1


@bounded
async def test_max_uses_refuses_the_next_joiner(api, services):
    world = await _world(api, services)
    invite = await _invite(api, world, max_uses=1)
    first = await api.post(f"/invites/{invite['code']}", headers=world.outsider)
    assert first.status_code == 200 and first.json()["uses"] == 1
    late, _ = await account(api, "late")
    refused = await api.post(f"/invites/{invite['code']}", headers=late)
    assert refused.status_code == 404 and refused.json()["code"] == 10006
    assert (await api.get(f"/guilds/{world.gid}", headers=late)).status_code == 404
    assert (await api.get(f"/invites/{invite['code']}", headers=late)).status_code == 404
    assert (await api.get(f"/guilds/{world.gid}/invites", headers=world.owner)).json() == []


@bounded
async def test_an_expired_invite_is_unknown(api, services):
    world = await _world(api, services)
    now = datetime.now(UTC)
    for code, age in (("Expired1", timedelta(hours=2)), ("StillOk1", timedelta(minutes=30))):
        await services.storage.invites.create_invite(
            Invite(
                code, world.gid, Snowflake(int(world.cid)), world.owner_id, now - age, max_age=3600
            )
        )
    assert (await api.get("/invites/StillOk1", headers=world.outsider)).status_code == 200
    preview = await api.get("/invites/Expired1", headers=world.outsider)
    assert preview.status_code == 404 and preview.json()["code"] == 10006
    accept = await api.post("/invites/Expired1", headers=world.outsider)
    assert accept.status_code == 404 and accept.json()["code"] == 10006
    assert (await api.get(f"/guilds/{world.gid}", headers=world.outsider)).status_code == 404
    listed = (await api.get(f"/channels/{world.cid}/invites", headers=world.owner)).json()
    assert [i["code"] for i in listed] == ["StillOk1"]


@bounded
async def test_a_banned_user_cannot_accept(api, services):
    world = await _world(api, services)
    invite = await _invite(api, world)
    assert await services.storage.bans.ban(world.gid, world.outsider_id, "spam", world.owner_id)
    refused = await api.post(f"/invites/{invite['code']}", headers=world.outsider)
    assert refused.status_code == 403 and refused.json()["code"] == 40007
    assert (await api.get(f"/guilds/{world.gid}", headers=world.outsider)).status_code == 404
    after = await api.get(f"/invites/{invite['code']}", headers=world.outsider)
    assert after.json()["uses"] == 0


@bounded
async def test_delete_invite_authorization_and_event(api, services):
    world = await _world(api, services)
    codes = [(await _invite(api, world))["code"] for _ in range(3)]
    for headers in (world.outsider, world.member):
        refused = await api.delete(f"/invites/{codes[0]}", headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == 50013
    channels, _, _ = await _member_with(
        api, services, world, "channels", Permission.MANAGE_CHANNELS
    )
    async with services.bus.subscribe() as events:
        deleted = await api.delete(f"/invites/{codes[0]}", headers=channels)
        published = _drain(events)
    assert deleted.status_code == 200 and deleted.json()["code"] == codes[0]
    [event] = published
    assert event.type == "INVITE_DELETE" and event.required == Permission.MANAGE_CHANNELS
    assert event.data == {"code": codes[0], "guild_id": str(world.gid), "channel_id": world.cid}
    # MANAGE_GUILD is enough even in a channel the caller cannot see.
    hidden = str(int(Permission.VIEW_CHANNEL))
    await api.put(
        f"/channels/{world.cid}/permissions/{world.gid}",
        json={"type": 0, "deny": hidden},
        headers=world.owner,
    )
    guilds, _, _ = await _member_with(api, services, world, "guilds", Permission.MANAGE_GUILD)
    assert (await api.delete(f"/invites/{codes[1]}", headers=guilds)).status_code == 200
    assert (await api.delete(f"/invites/{codes[2]}", headers=world.owner)).status_code == 200
    for code in codes:
        gone = await api.get(f"/invites/{code}", headers=world.owner)
        assert gone.status_code == 404 and gone.json()["code"] == 10006
    again = await api.delete(f"/invites/{codes[0]}", headers=world.owner)
    assert again.status_code == 404 and again.json()["code"] == 10006
