"""Op 8 REQUEST_GUILD_MEMBERS answered with GUILD_MEMBERS_CHUNK dispatches."""

from __future__ import annotations

from tests.e2e.conftest import bounded
from tests.e2e.gateway_world import GUILDS, bot, guild, identified, join, person


async def _chunks(client, request: dict) -> list[dict]:
    """Send op 8 with a nonce and collect every chunk answering it."""
    await client.send(8, request)
    chunks: list[dict] = []
    while True:
        chunk = await client.wait_for(
            "GUILD_MEMBERS_CHUNK", lambda d: d.get("nonce") == request["nonce"]
        )
        chunks.append(chunk["d"])
        if len(chunks) == chunk["d"]["chunk_count"]:
            return chunks


def _ids(chunk: dict) -> set[str]:
    return {m["user"]["id"] for m in chunk["members"]}


@bounded
async def test_request_guild_members_by_query_ids_and_all(api, gateway):
    alice, albert, bob = [await person(api, n) for n in ("alice", "albert", "bob")]
    home = await guild(api, alice)
    for p in (albert, bob):
        await join(api, alice, p, home)
    other = await guild(api, bob, "Elsewhere")
    gid = home["id"]
    async with identified(gateway.url, alice) as client:
        (prefix,) = await _chunks(
            client, {"guild_id": gid, "query": "al", "limit": 10, "nonce": "q"}
        )
        assert _ids(prefix) == {alice.id, albert.id}
        assert (prefix["guild_id"], prefix["chunk_index"], prefix["chunk_count"]) == (gid, 0, 1)
        assert all(m["user"]["username"].startswith("al") for m in prefix["members"])
        (limited,) = await _chunks(
            client, {"guild_id": gid, "query": "al", "limit": 1, "nonce": "l"}
        )
        assert len(limited["members"]) == 1

        (by_id,) = await _chunks(
            client, {"guild_id": gid, "user_ids": [bob.id, "12345"], "nonce": "ids"}
        )
        assert _ids(by_id) == {bob.id}
        assert by_id["not_found"] == ["12345"]

        (everyone,) = await _chunks(
            client, {"guild_id": gid, "query": "", "limit": 0, "nonce": "all"}
        )
        assert _ids(everyone) == {alice.id, albert.id, bob.id}
        assert "not_found" not in everyone

        (with_presence,) = await _chunks(
            client, {"guild_id": gid, "user_ids": [alice.id], "presences": True, "nonce": "p"}
        )
        assert [p["user"]["id"] for p in with_presence["presences"]] == [alice.id]
        assert with_presence["presences"][0]["status"] == "online"

        # Not a member of that guild: one empty chunk, so a waiting client is answered.
        (foreign,) = await _chunks(
            client, {"guild_id": other["id"], "query": "", "limit": 0, "nonce": "x"}
        )
        assert foreign["members"] == [] and foreign["guild_id"] == other["id"]

        # Without a nonce the chunk still comes, and carries none.
        await client.send(8, {"guild_id": gid, "user_ids": [alice.id]})
        plain = await client.wait_for("GUILD_MEMBERS_CHUNK")
        assert "nonce" not in plain["d"] and _ids(plain["d"]) == {alice.id}

        # Malformed: both query and user_ids.
        await client.send(8, {"guild_id": gid, "query": "", "user_ids": [alice.id]})
        assert await client.close_code() == 4002


@bounded
async def test_all_members_need_the_guild_members_intent(api, gateway):
    alice = await person(api, "alice")
    home = await guild(api, alice)
    helper = await bot(api, alice, home)
    async with identified(gateway.url, helper, GUILDS) as client:
        (chunk,) = await _chunks(
            client, {"guild_id": home["id"], "query": "", "limit": 0, "nonce": "n"}
        )
        assert chunk["members"] == [] and chunk["chunk_count"] == 1
        # A prefix query or ids need no privileged intent.
        (named,) = await _chunks(client, {"guild_id": home["id"], "query": "ali", "nonce": "m"})
        assert _ids(named) == {alice.id}
