"""Op 3 presence updates reach the guild's other members that asked for GUILD_PRESENCES."""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import (
    GUILD_MESSAGES,
    GUILD_PRESENCES,
    GUILDS,
    guild,
    identified,
    join,
    person,
    post,
    text_channel,
)


def _status(status: str) -> dict:
    return {"status": status, "since": None, "activities": [], "afk": False}


@bounded
async def test_presence_update_reaches_members_with_guild_presences(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    async with (
        identified(gateway.url, bob, GUILDS | GUILD_PRESENCES | GUILD_MESSAGES) as watcher,
        identified(gateway.url, bob, GUILDS | GUILD_MESSAGES) as unwatched,
    ):
        async with identified(gateway.url, alice) as client:
            # Coming online is announced.
            online = await watcher.wait_for(
                "PRESENCE_UPDATE", lambda d: d["user"]["id"] == alice.id
            )
            assert online["d"]["status"] == "online" and online["d"]["guild_id"] == home["id"]
            for status in ("idle", "dnd"):
                await client.send(3, _status(status))
                update = await watcher.wait_for("PRESENCE_UPDATE")
                assert update["d"]["user"]["id"] == alice.id
                assert update["d"]["status"] == status
                assert update["d"]["guild_id"] == home["id"]
                assert update["d"]["activities"] == []
            # The same status again changes nothing and is not announced.
            await client.send(3, _status("dnd"))
            await client.send(1, None)
            await client.wait_op(11)  # op 3 was handled before this heartbeat
            await client.ws.aclose(1000)
        offline = await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["status"] == "offline")
        assert offline["d"]["user"]["id"] == alice.id
        marker = await post(api, alice, text_channel(home), "marker")
        for client in (watcher, unwatched):
            await client.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker["id"])
    statuses = [d["status"] for d in watcher.events("PRESENCE_UPDATE")]
    assert statuses == ["online", "idle", "dnd", "offline"]
    assert unwatched.events("PRESENCE_UPDATE") == []


@bounded
async def test_a_status_that_does_not_exist_closes_4002(api, gateway):
    alice = await person(api, "alice")
    async with identified(gateway.url, alice) as client:
        await client.send(3, _status("busy"))
        assert await client.close_code() == 4002
    async with identified(gateway.url, alice) as client:
        await client.send(3, "idle")
        assert await client.close_code() == 4002


@bounded
async def test_invisible_looks_offline_to_others_and_is_announced_once(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    async with identified(gateway.url, bob, GUILDS | GUILD_PRESENCES | GUILD_MESSAGES) as watcher:
        async with identified(gateway.url, alice) as client:
            await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["status"] == "online")
            await client.send(3, _status("invisible"))
            hidden = await watcher.wait_for("PRESENCE_UPDATE")
            assert (hidden["d"]["user"]["id"], hidden["d"]["status"]) == (alice.id, "offline")
            await client.ws.aclose(1000)  # the session ends while invisible
        marker = await post(api, alice, text_channel(home), "marker")
        await watcher.wait_for("MESSAGE_CREATE", lambda d: d["id"] == marker["id"])
    # Going from invisible to gone changes nothing others can see.
    assert [d["status"] for d in watcher.events("PRESENCE_UPDATE")] == ["online", "offline"]


@bounded
async def test_a_connected_user_who_joins_appears_online_to_the_members(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    async with (
        identified(gateway.url, alice, GUILDS | GUILD_PRESENCES) as watcher,
        identified(gateway.url, bob, GUILDS) as joiner,
    ):
        await joiner.send(3, _status("dnd"))
        await join(api, alice, bob, home)
        await joiner.wait_for("GUILD_CREATE", lambda d: d["id"] == home["id"])
        appeared = await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["user"]["id"] == bob.id)
        assert appeared["d"]["status"] == "dnd" and appeared["d"]["guild_id"] == home["id"]


@bounded
async def test_a_session_leaving_announces_what_the_users_others_show(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home = await guild(api, alice)
    await join(api, alice, bob, home)
    async with identified(gateway.url, bob, GUILDS | GUILD_PRESENCES | GUILD_MESSAGES) as watcher:
        async with identified(gateway.url, alice) as phone:
            await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["status"] == "online")
            async with identified(gateway.url, alice) as desktop:
                await phone.send(3, _status("idle"))  # the desktop still shows her online
                await phone.send(1, None)
                await phone.wait_op(11)
                await desktop.ws.aclose(1000)
            away = await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["status"] != "online")
            assert (away["d"]["user"]["id"], away["d"]["status"]) == (alice.id, "idle")
            await phone.ws.aclose(1000)
        await watcher.wait_for("PRESENCE_UPDATE", lambda d: d["status"] == "offline")
    assert [d["status"] for d in watcher.events("PRESENCE_UPDATE")] == ["online", "idle", "offline"]
