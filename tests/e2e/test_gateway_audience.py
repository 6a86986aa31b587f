"""Who receives guild events: channel permissions, role and overwrite edits, joins, kicks, bans.

"Received nothing" is checked against a later marker the session does
receive: the fan-out delivers in publish order.
"""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import ALL_INTENTS
from tests.e2e.gateway_world import (
    VIEW_CHANNEL,
    dm_channel,
    guild,
    identified,
    join,
    person,
    post,
    text_channel,
)


def _message_ids(client) -> list[str]:
    return [d["id"] for d in client.events("MESSAGE_CREATE")]


async def _ok(response, status: int = 204) -> dict:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else {}


@bounded
async def test_a_hidden_channel_reaches_only_who_may_view_it_and_edits_apply_at_once(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    general = text_channel(home)
    secret = (
        await _ok(
            await api.post(
                f"/guilds/{home['id']}/channels", json={"name": "secret"}, headers=alice.headers
            ),
            201,
        )
    )["id"]
    hide = {"type": 0, "deny": str(VIEW_CHANNEL)}
    await _ok(
        await api.put(
            f"/channels/{secret}/permissions/{home['id']}", json=hide, headers=alice.headers
        )
    )
    async with identified(gateway.url, alice) as owner, identified(gateway.url, bob) as member:

        async def seen(channel: str, content: str) -> tuple[str, bool]:
            """Post, then a marker in #general; whether bob got the post before the marker."""
            sent = (await post(api, alice, channel, content))["id"]
            marker = (await post(api, alice, general, f"marker after {content}"))["id"]
            await member.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker)
            await owner.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker)
            assert sent in _message_ids(owner)  # the owner sees every channel
            return sent, sent in _message_ids(member)

        hidden, seen_it = await seen(secret, "hidden")
        assert seen_it is False
        # Nor anything else about messages there: edits, reactions, pins, typing, deletes.
        message = f"/channels/{secret}/messages/{hidden}"
        await _ok(await api.patch(message, json={"content": "edited"}, headers=alice.headers), 200)
        await _ok(await api.put(f"{message}/reactions/%F0%9F%91%8D/@me", headers=alice.headers))
        await _ok(await api.put(f"/channels/{secret}/pins/{hidden}", headers=alice.headers))
        await _ok(await api.post(f"/channels/{secret}/typing", headers=alice.headers))
        await _ok(await api.delete(message, headers=alice.headers))
        marker = (await post(api, alice, general, "after the hidden edits"))["id"]
        await member.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker)
        about_messages = [
            p["t"]
            for p in member.dispatches
            if p["d"].get("channel_id") == secret
            # The channel itself stays listed for members, as Discord lists it to bots.
            and p["t"] not in ("CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE")
        ]
        assert about_messages == []
        await owner.wait_for("MESSAGE_DELETE", lambda d: d["id"] == hidden)
        owner_saw = {p["t"] for p in owner.dispatches if p["d"].get("channel_id") == secret}
        assert owner_saw >= {
            "MESSAGE_UPDATE",
            "MESSAGE_REACTION_ADD",
            "CHANNEL_PINS_UPDATE",
            "TYPING_START",
        }
        # A role allowed in the channel, given to bob: visible from the next message.
        role = await _ok(
            await api.post(
                f"/guilds/{home['id']}/roles", json={"name": "seer"}, headers=alice.headers
            ),
            200,
        )
        allow = {"type": 0, "allow": str(VIEW_CHANNEL)}
        await _ok(
            await api.put(
                f"/channels/{secret}/permissions/{role['id']}", json=allow, headers=alice.headers
            )
        )
        assert (await seen(secret, "still hidden: bob lacks the role"))[1] is False
        member_role = f"/guilds/{home['id']}/members/{bob.id}/roles/{role['id']}"
        await _ok(await api.put(member_role, headers=alice.headers))
        assert (await seen(secret, "with the role"))[1] is True
        await _ok(await api.delete(member_role, headers=alice.headers))
        assert (await seen(secret, "role taken away"))[1] is False
        # Removing the @everyone overwrite opens the channel to all.
        await _ok(
            await api.delete(f"/channels/{secret}/permissions/{home['id']}", headers=alice.headers)
        )
        assert (await seen(secret, "open to everyone"))[1] is True
        # A member overwrite hides #secret from bob alone.
        await _ok(
            await api.put(
                f"/channels/{secret}/permissions/{bob.id}",
                json={"type": 1, "deny": str(VIEW_CHANNEL)},
                headers=alice.headers,
            )
        )
        assert (await seen(secret, "hidden from bob alone"))[1] is False
        # The @everyone role losing VIEW_CHANNEL guild-wide hides #general too.
        everyone = await _ok(
            await api.patch(
                f"/guilds/{home['id']}/roles/{home['id']}",
                json={"permissions": "0"},
                headers=alice.headers,
            ),
            200,
        )
        assert everyone["permissions"] == "0"
        hidden = (await post(api, alice, general, "nobody but the owner"))["id"]
        await _ok(
            await api.patch(
                f"/guilds/{home['id']}/roles/{home['id']}",
                json={"permissions": str(VIEW_CHANNEL | (1 << 11) | (1 << 16))},
                headers=alice.headers,
            ),
            200,
        )
        marker = (await post(api, alice, general, "visible again"))["id"]
        await member.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker)
        assert hidden not in _message_ids(member)


@bounded
async def test_joining_through_an_invite_brings_guild_create_then_its_events(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    async with identified(gateway.url, alice) as owner, identified(gateway.url, bob) as joiner:
        assert joiner.dispatches[0]["d"]["guilds"] == []
        await join(api, alice, bob, home)
        created = (await joiner.wait_for("GUILD_CREATE"))["d"]
        assert created["id"] == home["id"]
        assert {c["id"] for c in created["channels"]} >= {text_channel(home)}
        added = await owner.wait_for("GUILD_MEMBER_ADD")
        assert added["d"]["user"]["id"] == bob.id and added["d"]["guild_id"] == home["id"]
        sent = await post(api, alice, text_channel(home), "welcome")
        got = await joiner.wait_for("MESSAGE_CREATE")
        assert got["d"]["id"] == sent["id"]
        # GUILD_CREATE came first, and it came once.
        kinds = [p["t"] for p in joiner.dispatches]
        assert kinds.count("GUILD_CREATE") == 1
        assert kinds.index("GUILD_CREATE") < kinds.index("MESSAGE_CREATE")


@bounded
async def test_kicked_or_banned_members_get_guild_delete_and_nothing_more(api, gateway):
    alice = await person(api, "alice")
    kicked, banned, stays = [await person(api, n) for n in ("bob", "carol", "dave")]
    home = await guild(api, alice)
    for p in (kicked, banned, stays):
        await join(api, alice, p, home)
    for p in (kicked, banned):  # so alice's marker DMs reach them once they share no guild
        allowed = await api.patch(
            "/users/@me/settings", json={"allow_dms_from_anyone": True}, headers=p.headers
        )
        assert allowed.status_code == 200, allowed.text
    channel = text_channel(home)
    async with (
        identified(gateway.url, kicked) as kicked_client,
        identified(gateway.url, banned) as banned_client,
        identified(gateway.url, stays, ALL_INTENTS) as stays_client,
    ):
        members = f"/guilds/{home['id']}"
        await _ok(await api.delete(f"{members}/members/{kicked.id}", headers=alice.headers))
        await _ok(await api.put(f"{members}/bans/{banned.id}", headers=alice.headers))
        for client in (kicked_client, banned_client):
            gone = await client.wait_for("GUILD_DELETE")
            assert gone["d"]["id"] == home["id"]
            assert not gone["d"].get("unavailable")  # removed, not an outage
        # Guild traffic after the removal, then a DM to each as a marker.
        after = await post(api, alice, channel, "after they left")
        await _ok(
            await api.patch(
                f"/guilds/{home['id']}", json={"name": "Renamed"}, headers=alice.headers
            ),
            200,
        )
        for person_, client in ((kicked, kicked_client), (banned, banned_client)):
            marker = await post(api, alice, await dm_channel(api, alice, person_), "psst")
            await client.wait_for("MESSAGE_CREATE", lambda d, m=marker: d["id"] == m["id"])
            gone_at = next(i for i, p in enumerate(client.dispatches) if p["t"] == "GUILD_DELETE")
            later = client.dispatches[gone_at + 1 :]
            assert [p["t"] for p in later] == ["MESSAGE_CREATE"], later
            assert later[0]["d"].get("guild_id") is None
        # The member who stayed got all of it.
        await stays_client.wait_for("GUILD_UPDATE", lambda d: d["name"] == "Renamed")
        assert after["id"] in _message_ids(stays_client)
        removed = {d["user"]["id"] for d in stays_client.events("GUILD_MEMBER_REMOVE")}
        assert removed == {kicked.id, banned.id}
        # A kicked member may come back: the same live session gets the guild again.
        await join(api, alice, kicked, home)
        back = await kicked_client.wait_for("GUILD_CREATE")
        assert back["d"]["id"] == home["id"]
        again = await post(api, alice, channel, "welcome back")
        got = await kicked_client.wait_for("MESSAGE_CREATE", lambda d: d.get("guild_id"))
        assert got["d"]["id"] == again["id"]
