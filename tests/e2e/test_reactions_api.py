"""Reactions over real HTTP, with the emoji percent-encoded in the path as clients send it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import trio

from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake
from tests.e2e.conftest import account, bounded

THUMBS = "\U0001f44d"
THUMBS_WIRE = "%F0%9F%91%8D"  # its UTF-8 bytes, percent-encoded
CUSTOM_ID = "123456789012345678"


async def _world(api, services):
    """An owner's guild with one message, a plain member, and an outsider."""
    owner, owner_id = await account(api, "owner")
    guild = (await api.post("/guilds", json={"name": "Reactions"}, headers=owner)).json()
    member, member_id = await account(api, "member")
    outsider, _ = await account(api, "outsider")
    gid = Snowflake(int(guild["id"]))
    await services.storage.members.add_member(gid, member_id, datetime.now(UTC))
    cid = guild["channels"][0]["id"]
    sent = await api.post(f"/channels/{cid}/messages", json={"content": "react!"}, headers=owner)
    mid = sent.json()["id"]
    return SimpleNamespace(
        owner=owner,
        owner_id=owner_id,
        member=member,
        member_id=member_id,
        outsider=outsider,
        gid=gid,
        cid=cid,
        mid=mid,
        base=f"/channels/{cid}/messages/{mid}/reactions",
    )


async def _joined(api, services, world, name):
    headers, user_id = await account(api, name)
    await services.storage.members.add_member(world.gid, user_id, datetime.now(UTC))
    return headers, user_id


async def _reactions(api, world, headers):
    message = await api.get(f"/channels/{world.cid}/messages/{world.mid}", headers=headers)
    assert message.status_code == 200, message.text
    return message.json()["reactions"]


def _drain(events):
    """Every event published so far: publishing finishes before the HTTP response does."""
    seen = []
    while True:
        try:
            seen.append(events.receive_nowait())
        except trio.WouldBlock:
            return seen


async def _deny_everyone(api, world, permission):
    response = await api.put(
        f"/channels/{world.cid}/permissions/{world.gid}",
        json={"type": 0, "deny": str(int(permission))},
        headers=world.owner,
    )
    assert response.status_code == 204, response.text


@bounded
async def test_unicode_reaction_through_a_percent_encoded_path(api, services):
    world = await _world(api, services)
    async with services.bus.subscribe() as events:
        put = await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.owner)
        assert put.status_code == 204, put.text
        assert THUMBS_WIRE.encode() in put.request.url.raw_path  # really encoded on the wire
        # httpx encodes the raw character the same way; either spelling is one emoji.
        assert (
            await api.put(f"{world.base}/{THUMBS}/@me", headers=world.member)
        ).status_code == 204
        repeat = await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.owner)
        assert repeat.status_code == 204
        published = _drain(events)
    [mine] = await _reactions(api, world, world.owner)
    assert mine["emoji"] == {"id": None, "name": THUMBS}
    assert (mine["count"], mine["me"]) == (2, True)
    viewer, _ = await _joined(api, services, world, "viewer")
    [theirs] = await _reactions(api, world, viewer)
    assert (theirs["count"], theirs["me"]) == (2, False)
    added = [e for e in published if e.type == "MESSAGE_REACTION_ADD"]
    assert [e.data["user_id"] for e in added] == [str(world.owner_id), str(world.member_id)]
    event = added[0]
    assert event.guild_id == world.gid and str(event.channel_id) == world.cid
    assert event.data["message_id"] == world.mid and event.data["channel_id"] == world.cid
    assert event.data["guild_id"] == str(world.gid)
    assert event.data["emoji"] == {"id": None, "name": THUMBS}
    assert event.data["member"]["user"]["id"] == str(world.owner_id)


@bounded
async def test_custom_emoji_as_name_colon_id(api, services):
    world = await _world(api, services)
    literal = await api.put(f"{world.base}/blob:{CUSTOM_ID}/@me", headers=world.owner)
    assert literal.status_code == 204, literal.text
    encoded = await api.put(f"{world.base}/blob%3A{CUSTOM_ID}/@me", headers=world.member)
    assert encoded.status_code == 204, encoded.text
    assert b"%3A" in encoded.request.url.raw_path
    animated = await api.put(f"{world.base}/a%3Ablob%3A{CUSTOM_ID}/@me", headers=world.member)
    assert animated.status_code == 204  # discord.py's a:name:id is the same emoji
    [reaction] = await _reactions(api, world, world.member)
    assert reaction["emoji"] == {"id": CUSTOM_ID, "name": "blob"}
    assert (reaction["count"], reaction["me"]) == (2, True)
    users = await api.get(f"{world.base}/blob%3A{CUSTOM_ID}", headers=world.member)
    assert {u["id"] for u in users.json()} == {str(world.owner_id), str(world.member_id)}


@bounded
async def test_listing_who_reacted_pages_by_user_id(api, services):
    world = await _world(api, services)
    third, third_id = await _joined(api, services, world, "third")
    for headers in (world.owner, world.member, third):
        assert (
            await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=headers)
        ).status_code == 204
    ids = sorted([world.owner_id, world.member_id, third_id])
    url = f"{world.base}/{THUMBS_WIRE}"
    everyone = await api.get(url, headers=world.member)
    assert [u["id"] for u in everyone.json()] == [str(i) for i in ids]
    assert everyone.json()[0]["username"] in {"owner", "member", "third"}
    first_two = await api.get(f"{url}?limit=2", headers=world.member)
    assert [u["id"] for u in first_two.json()] == [str(i) for i in ids[:2]]
    rest = await api.get(f"{url}?after={ids[1]}", headers=world.member)
    assert [u["id"] for u in rest.json()] == [str(ids[2])]
    assert (await api.get(f"{world.base}/%E2%9D%A4", headers=world.member)).json() == []
    for query, field in (
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("after=abc", "after"),
    ):
        bad = await api.get(f"{url}?{query}", headers=world.member)
        assert bad.status_code == 400 and field in bad.json()["errors"], query


@bounded
async def test_removing_own_and_others_reactions(api, services):
    world = await _world(api, services)
    for headers in (world.owner, world.member):
        await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=headers)
    async with services.bus.subscribe() as events:
        own = await api.delete(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.member)
        assert own.status_code == 204
        nothing_left = await api.delete(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.member)
        assert nothing_left.status_code == 204
        published = _drain(events)
    [removed] = published
    assert removed.type == "MESSAGE_REACTION_REMOVE"
    assert removed.data["user_id"] == str(world.member_id)
    assert removed.data["emoji"] == {"id": None, "name": THUMBS}
    assert [(r["count"], r["me"]) for r in await _reactions(api, world, world.owner)] == [(1, True)]
    others = f"{world.base}/{THUMBS_WIRE}/{world.owner_id}"
    refused = await api.delete(others, headers=world.member)
    assert refused.status_code == 403 and refused.json()["code"] == 50013
    await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.member)
    by_own_id = await api.delete(
        f"{world.base}/{THUMBS_WIRE}/{world.member_id}", headers=world.member
    )
    assert by_own_id.status_code == 204  # one's own id is the same as @me
    async with services.bus.subscribe() as events:
        assert (await api.delete(others, headers=world.owner)).status_code == 204
        [event] = _drain(events)
    assert event.type == "MESSAGE_REACTION_REMOVE" and event.data["user_id"] == str(world.owner_id)
    assert await _reactions(api, world, world.owner) == []
    bad_user = await api.delete(f"{world.base}/{THUMBS_WIRE}/nobody", headers=world.owner)
    assert bad_user.status_code == 400 and "user_id" in bad_user.json()["errors"]


@bounded
async def test_clearing_all_reactions_or_one_emoji(api, services):
    world = await _world(api, services)
    for emoji in (THUMBS_WIRE, f"blob:{CUSTOM_ID}"):
        for headers in (world.owner, world.member):
            await api.put(f"{world.base}/{emoji}/@me", headers=headers)
    for url in (world.base, f"{world.base}/{THUMBS_WIRE}"):
        refused = await api.delete(url, headers=world.member)
        assert refused.status_code == 403 and refused.json()["code"] == 50013
    async with services.bus.subscribe() as events:
        one = await api.delete(f"{world.base}/{THUMBS_WIRE}", headers=world.owner)
        assert one.status_code == 204
        [event] = _drain(events)
    assert event.type == "MESSAGE_REACTION_REMOVE_EMOJI"
    assert event.data == {
        "channel_id": world.cid,
        "message_id": world.mid,
        "guild_id": str(world.gid),
        "emoji": {"id": None, "name": THUMBS},
    }
    assert [r["emoji"]["name"] for r in await _reactions(api, world, world.owner)] == ["blob"]
    async with services.bus.subscribe() as events:
        assert (await api.delete(world.base, headers=world.owner)).status_code == 204
        [event] = _drain(events)
    assert event.type == "MESSAGE_REACTION_REMOVE_ALL"
    assert event.data == {
        "channel_id": world.cid,
        "message_id": world.mid,
        "guild_id": str(world.gid),
    }
    assert await _reactions(api, world, world.owner) == []


@bounded
async def test_add_reactions_is_needed_only_for_a_new_emoji(api, services):
    world = await _world(api, services)
    await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.owner)
    await _deny_everyone(api, world, Permission.ADD_REACTIONS)
    new = await api.put(f"{world.base}/%E2%9D%A4/@me", headers=world.member)
    assert new.status_code == 403 and new.json()["code"] == 50013
    existing = await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.member)
    assert existing.status_code == 204
    assert (await api.put(f"{world.base}/%E2%9D%A4/@me", headers=world.owner)).status_code == 204
    await _deny_everyone(api, world, Permission.READ_MESSAGE_HISTORY)
    no_history = await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.member)
    assert no_history.status_code == 403 and no_history.json()["code"] == 50013
    listing = await api.get(f"{world.base}/{THUMBS_WIRE}", headers=world.member)
    assert listing.status_code == 403


@bounded
async def test_outsiders_see_no_reactions(api, services):
    world = await _world(api, services)
    await api.put(f"{world.base}/{THUMBS_WIRE}/@me", headers=world.owner)
    for method, url in (
        ("PUT", f"{world.base}/{THUMBS_WIRE}/@me"),
        ("DELETE", f"{world.base}/{THUMBS_WIRE}/@me"),
        ("DELETE", f"{world.base}/{THUMBS_WIRE}/{world.owner_id}"),
        ("GET", f"{world.base}/{THUMBS_WIRE}"),
        ("DELETE", f"{world.base}/{THUMBS_WIRE}"),
        ("DELETE", world.base),
    ):
        response = await api.request(method, url, headers=world.outsider)
        assert response.status_code == 404 and response.json()["code"] == 10003, (method, url)
    assert [r["count"] for r in await _reactions(api, world, world.owner)] == [1]


@bounded
async def test_bad_emoji_and_unknown_messages_are_refused(api, services):
    world = await _world(api, services)
    for emoji in (
        "abc",  # a word, not an emoji
        "%C3%A9",  # a letter outside ASCII is still a letter
        "name:notanumber",
        "x:1",  # custom names are at least two characters
        f"bad%20name:{CUSTOM_ID}",
        "a:b:c:d",
        f"blob:{'9' * 25}",
        THUMBS_WIRE * 33,  # longer than any emoji
        "%FF",  # not UTF-8
        f"{THUMBS_WIRE}%0A",
    ):
        response = await api.put(f"{world.base}/{emoji}/@me", headers=world.member)
        assert response.status_code == 400, (emoji, response.text)
        body = response.json()
        assert body["code"] == 10014 and "emoji" in body["errors"], (emoji, body)
    nul = await api.put(f"{world.base}/%00/@me", headers=world.member)
    assert nul.status_code == 400 and nul.json()["code"] in (10014, 50035)
    empty = await api.put(f"{world.base}//@me", headers=world.member)
    assert 400 <= empty.status_code < 500 and "code" in empty.json()
    slash = await api.put(f"{world.base}/a%2Fb/@me", headers=world.member)
    assert 400 <= slash.status_code < 500 and "code" in slash.json()
    other_channel = (
        await api.post(f"/guilds/{world.gid}/channels", json={"name": "other"}, headers=world.owner)
    ).json()["id"]
    for url in (
        f"/channels/{world.cid}/messages/1/reactions/{THUMBS_WIRE}/@me",
        f"/channels/{other_channel}/messages/{world.mid}/reactions/{THUMBS_WIRE}/@me",
    ):
        unknown = await api.put(url, headers=world.member)
        assert unknown.status_code == 404 and unknown.json()["code"] == 10008, url
        listing = await api.get(url.removesuffix("/@me"), headers=world.member)
        assert listing.status_code == 404 and listing.json()["code"] == 10008
        cleared = await api.delete(url.removesuffix(f"/{THUMBS_WIRE}/@me"), headers=world.owner)
        assert cleared.status_code == 404 and cleared.json()["code"] == 10008
        removed = await api.delete(url, headers=world.member)
        assert removed.status_code == 404 and removed.json()["code"] == 10008
    bad_id = await api.put(
        f"/channels/{world.cid}/messages/abc/reactions/{THUMBS_WIRE}/@me", headers=world.member
    )
    assert bad_id.status_code == 400 and "message_id" in bad_id.json()["errors"]
    assert await _reactions(api, world, world.owner) == []  # nothing stored


@bounded
async def test_a_message_holds_at_most_twenty_distinct_emoji(api, services):
    world = await _world(api, services)
    for n in range(20):
        added = await api.put(f"{world.base}/e{n}:{1000 + n}/@me", headers=world.owner)
        assert added.status_code == 204, added.text
    refused = await api.put(f"{world.base}/e20:1020/@me", headers=world.owner)
    assert refused.status_code == 400 and refused.json()["code"] == 30010
    assert (await api.put(f"{world.base}/e0:1000/@me", headers=world.member)).status_code == 204
    assert len(await _reactions(api, world, world.owner)) == 20


@bounded
async def test_reacting_in_a_dm_is_refused_once_no_guild_is_shared(api, services):
    """As a send is (50007); the reaction already there can still be taken back."""
    world = await _world(api, services)
    dm = await api.post(
        "/users/@me/channels", json={"recipient_id": str(world.owner_id)}, headers=world.member
    )
    assert dm.status_code == 200, dm.text
    dm_id = dm.json()["id"]
    sent = await api.post(
        f"/channels/{dm_id}/messages", json={"content": "hi"}, headers=world.owner
    )
    assert sent.status_code == 200, sent.text
    base = f"/channels/{dm_id}/messages/{sent.json()['id']}/reactions"
    assert (await api.put(f"{base}/{THUMBS_WIRE}/@me", headers=world.member)).status_code == 204
    left = await api.delete(f"/users/@me/guilds/{world.gid}", headers=world.member)
    assert left.status_code == 204, left.text
    async with services.bus.subscribe() as events:
        refused = await api.put(f"{base}/%E2%9D%A4/@me", headers=world.member)
        published = _drain(events)
    assert refused.status_code == 403 and refused.json()["code"] == 50007, refused.text
    assert published == []
    taken_back = await api.delete(f"{base}/{THUMBS_WIRE}/@me", headers=world.member)
    assert taken_back.status_code == 204, taken_back.text
