"""Deleting messages over real HTTP: what is left in the database and what replies show."""

from __future__ import annotations

from tests.e2e.conftest import account, bounded
from tests.integration import seed

SECRET = "zebra"


async def _guild(api):
    owner, _ = await account(api, "owner")
    guild = (await api.post("/guilds", json={"name": "Quiet"}, headers=owner)).json()
    return owner, guild["id"], guild["channels"][0]["id"]


async def _send(api, headers, channel_id, content, reply_to=None) -> dict:
    body: dict = {"content": content}
    if reply_to is not None:
        body["message_reference"] = {"message_id": reply_to}
    sent = await api.post(f"/channels/{channel_id}/messages", json=body, headers=headers)
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


@bounded
async def test_a_reply_to_a_deleted_message_shows_referenced_message_null(api):
    owner, _, channel_id = await _guild(api)
    parent = await _send(api, owner, channel_id, "parent")
    reply = await _send(api, owner, channel_id, "the reply", reply_to=parent["id"])
    # While the parent lives, Accord does not resolve it: the key is absent ("not fetched").
    assert "referenced_message" not in reply
    url = f"/channels/{channel_id}/messages"

    deleted = await api.delete(f"{url}/{parent['id']}", headers=owner)

    assert deleted.status_code == 204
    got = (await api.get(f"{url}/{reply['id']}", headers=owner)).json()
    assert got["message_reference"]["message_id"] == parent["id"]
    assert got["referenced_message"] is None
    [listed] = (await api.get(url, headers=owner)).json()
    assert listed["id"] == reply["id"] and listed["referenced_message"] is None


@bounded
async def test_deleted_messages_are_erased_in_storage_and_not_found_by_search(api, services):
    owner, guild_id, channel_id = await _guild(api)
    url = f"/channels/{channel_id}/messages"
    single = await _send(api, owner, channel_id, f"{SECRET} one")
    bulk = [await _send(api, owner, channel_id, f"{SECRET} {n}") for n in range(2)]
    reacted = await api.put(f"{url}/{single['id']}/reactions/%F0%9F%94%A5/@me", headers=owner)
    assert reacted.status_code == 204, reacted.text

    assert (await api.delete(f"{url}/{single['id']}", headers=owner)).status_code == 204
    bulk_ids = [m["id"] for m in bulk]
    removed = await api.post(f"{url}/bulk-delete", json={"messages": bulk_ids}, headers=owner)
    assert removed.status_code == 204, removed.text

    ids = [int(single["id"]), *map(int, bulk_ids)]
    rows = await seed.fetch(
        services.storage,
        "SELECT content, search_vector::text AS words FROM messages WHERE id = ANY($1::bigint[])",
        ids,
    )
    assert [(r["content"], r["words"]) for r in rows] == [("", "")] * 3
    reactions = await seed.fetch(services.storage, "SELECT 1 FROM reactions")
    assert reactions == []
    found = await api.get(f"/guilds/{guild_id}/messages/search?content={SECRET}", headers=owner)
    assert found.status_code == 200, found.text
    assert found.json()["total_results"] == 0
