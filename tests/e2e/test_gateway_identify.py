"""IDENTIFY over real sockets: READY, then one GUILD_CREATE per guild, for people and bots."""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_client import connect
from tests.e2e.gateway_world import (
    GUILD_MESSAGES,
    GUILDS,
    bot,
    guild,
    join,
    person,
    text_channel,
)


@bounded
async def test_user_ready_then_one_guild_create_per_guild(api, gateway):
    alice, bob = await person(api, "alice"), await person(api, "bob")
    home, work = await guild(api, alice, "Home"), await guild(api, bob, "Work")
    await join(api, bob, alice, work)
    async with connect(gateway.url) as client:
        await client.hello()
        ready = await client.identify(alice.token)
        d = ready["d"]
        assert (ready["op"], ready["s"]) == (0, 1)
        assert d["v"] == 10
        assert d["user"]["id"] == alice.id and d["user"]["username"] == "alice"
        assert d["user"]["bot"] is False
        assert sorted(d["guilds"], key=lambda g: g["id"]) == sorted(
            [{"id": home["id"], "unavailable": True}, {"id": work["id"], "unavailable": True}],
            key=lambda g: g["id"],
        )
        assert isinstance(d["session_id"], str) and len(d["session_id"]) >= 16
        assert d["resume_gateway_url"] == gateway.url
        assert "application" not in d
        created = [await client.wait_for("GUILD_CREATE") for _ in range(2)]
    by_id = {g["d"]["id"]: g for g in created}
    assert set(by_id) == {home["id"], work["id"]}
    assert [g["s"] for g in created] == [2, 3]
    for expected, members in ((home, {alice.id}), (work, {alice.id, bob.id})):
        g = by_id[expected["id"]]["d"]
        assert g["name"] == expected["name"]
        assert {c["id"] for c in g["channels"]} == {c["id"] for c in expected["channels"]}
        assert text_channel(expected) in {c["id"] for c in g["channels"]}
        # @everyone has the guild's id.
        assert expected["id"] in {r["id"] for r in g["roles"]}
        assert {m["user"]["id"] for m in g["members"]} == members
        assert g["member_count"] == len(members)
        assert "joined_at" in g and g.get("unavailable") in (None, False)
    # The second client of the same user gets its own session.
    async with connect(gateway.url) as again:
        await again.hello()
        other = await again.identify(alice.token)
    assert other["d"]["session_id"] != d["session_id"]


@bounded
async def test_bot_identifies_with_its_bare_token(api, gateway):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    helper = await bot(api, alice, home)
    async with connect(gateway.url) as client:
        await client.hello()
        ready = await client.identify(helper.token, GUILDS | GUILD_MESSAGES)
        d = ready["d"]
        assert d["user"]["id"] == helper.id and d["user"]["bot"] is True
        assert d["application"]["id"] == helper.id
        assert isinstance(d["application"]["flags"], int)
        assert d["guilds"] == [{"id": home["id"], "unavailable": True}]
        created = (await client.wait_for("GUILD_CREATE"))["d"]
    assert created["id"] == home["id"]
    assert {m["user"]["id"] for m in created["members"]} == {alice.id, helper.id}
    assert created["member_count"] == 2
    # The bot's managed role is in the guild's roles.
    assert any(r.get("managed") for r in created["roles"])


@bounded
async def test_bot_token_with_bot_prefix_is_accepted(api, gateway):
    alice = await person(api, "alice")
    helper = await bot(api, alice)
    async with connect(gateway.url) as client:
        await client.hello()
        ready = await client.identify(f"Bot {helper.token}", GUILDS)
    assert ready["d"]["user"]["id"] == helper.id
    assert ready["d"]["guilds"] == []
