"""Guilds, channels and messages over real HTTP against real PostgreSQL."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import bearer, register


async def _owner_with_guild(api: httpx.AsyncClient, name: str = "owner"):
    tokens = await register(api, name)
    headers = bearer(tokens["access_token"])
    created = await api.post("/guilds", json={"name": "Test Guild"}, headers=headers)
    assert created.status_code == 201, created.text
    return headers, created.json()


async def test_guild_create_makes_everyone_role_general_channel_and_owner(api):
    headers, guild = await _owner_with_guild(api)
    me = (await api.get("/users/@me", headers=headers)).json()
    assert guild["owner_id"] == me["id"]
    everyone = [r for r in guild["roles"] if r["id"] == guild["id"]]
    assert len(everyone) == 1 and everyone[0]["name"] == "@everyone"
    assert isinstance(everyone[0]["permissions"], str)
    assert [c["name"] for c in guild["channels"]] == ["general"]
    assert [m["user"]["id"] for m in guild["members"]] == [me["id"]]
    fetched = await api.get(f"/guilds/{guild['id']}?with_counts=true", headers=headers)
    assert fetched.status_code == 200 and fetched.json()["approximate_member_count"] == 1


async def test_messages_post_list_edit_delete(api):
    headers, guild = await _owner_with_guild(api)
    channel_id = guild["channels"][0]["id"]
    ids = []
    for n in range(3):
        sent = await api.post(
            f"/channels/{channel_id}/messages",
            json={"content": f"hello {n}", "nonce": f"n{n}"},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
        body = sent.json()
        assert body["content"] == f"hello {n}" and body["nonce"] == f"n{n}"
        assert body["timestamp"].endswith("+00:00") and body["edited_timestamp"] is None
        ids.append(body["id"])
    page = (await api.get(f"/channels/{channel_id}/messages", headers=headers)).json()
    assert [m["id"] for m in page] == list(reversed(ids))
    edited = await api.patch(
        f"/channels/{channel_id}/messages/{ids[0]}", json={"content": "changed"}, headers=headers
    )
    assert edited.status_code == 200 and edited.json()["edited_timestamp"] is not None
    deleted = await api.delete(f"/channels/{channel_id}/messages/{ids[1]}", headers=headers)
    assert deleted.status_code == 204
    gone = await api.get(f"/channels/{channel_id}/messages/{ids[1]}", headers=headers)
    assert gone.status_code == 404 and gone.json()["code"] == 10008
    page = (await api.get(f"/channels/{channel_id}/messages", headers=headers)).json()
    assert [m["content"] for m in page] == ["hello 2", "changed"]


async def test_enforce_nonce_returns_the_first_message(api):
    headers, guild = await _owner_with_guild(api)
    channel_id = guild["channels"][0]["id"]
    body = {"content": "once", "nonce": "abc", "enforce_nonce": True}
    first = (await api.post(f"/channels/{channel_id}/messages", json=body, headers=headers)).json()
    second = (await api.post(f"/channels/{channel_id}/messages", json=body, headers=headers)).json()
    assert first["id"] == second["id"]
    page = (await api.get(f"/channels/{channel_id}/messages", headers=headers)).json()
    assert len(page) == 1


async def test_outsider_sees_nothing(api):
    _, guild = await _owner_with_guild(api)
    outsider = bearer((await register(api, "outsider"))["access_token"])
    channel_id = guild["channels"][0]["id"]
    assert (await api.get(f"/guilds/{guild['id']}", headers=outsider)).json()["code"] == 10004
    assert (await api.get(f"/channels/{channel_id}", headers=outsider)).json()["code"] == 10003
    post = await api.post(
        f"/channels/{channel_id}/messages", json={"content": "hi"}, headers=outsider
    )
    assert post.status_code == 404 and post.json()["code"] == 10003


async def test_bad_message_input_is_a_clear_400(api):
    headers, guild = await _owner_with_guild(api)
    channel_id = guild["channels"][0]["id"]
    url = f"/channels/{channel_id}/messages"
    empty = await api.post(url, json={"content": "   "}, headers=headers)
    assert empty.status_code == 400 and "content" in empty.json()["errors"]
    too_long = await api.post(url, json={"content": "x" * 2001}, headers=headers)
    assert too_long.status_code == 400 and "content" in too_long.json()["errors"]
    wrong_type = await api.post(url, json={"content": 5}, headers=headers)
    assert wrong_type.status_code == 400
    unknown_field = await api.post(url, json={"content": "x", "bogus": 1}, headers=headers)
    assert unknown_field.status_code == 400 and "bogus" in unknown_field.json()["errors"]
    bad_id = await api.get("/channels/abc/messages", headers=headers)
    assert bad_id.status_code == 400
    bad_limit = await api.get(f"{url}?limit=0", headers=headers)
    assert bad_limit.status_code == 400
    huge_limit = await api.get(f"{url}?limit={'9' * 5000}", headers=headers)
    assert huge_limit.status_code == 400
    page = (await api.get(url, headers=headers)).json()
    assert page == []  # nothing was stored by any of the refused requests


async def test_channel_create_modify_delete_and_category_parent(api):
    headers, guild = await _owner_with_guild(api)
    gid = guild["id"]
    category = await api.post(
        f"/guilds/{gid}/channels", json={"name": "Text", "type": 4}, headers=headers
    )
    assert category.status_code == 201 and category.json()["type"] == 4
    child = await api.post(
        f"/guilds/{gid}/channels",
        json={"name": "child", "parent_id": category.json()["id"], "topic": "t"},
        headers=headers,
    )
    assert child.status_code == 201 and child.json()["parent_id"] == category.json()["id"]
    renamed = await api.patch(
        f"/channels/{child.json()['id']}", json={"name": "renamed"}, headers=headers
    )
    assert renamed.json()["name"] == "renamed"
    listing = (await api.get(f"/guilds/{gid}/channels", headers=headers)).json()
    assert {c["name"] for c in listing} == {"general", "Text", "renamed"}
    assert (await api.delete(f"/channels/{child.json()['id']}", headers=headers)).status_code == 200
    bad_type = await api.post(
        f"/guilds/{gid}/channels", json={"name": "v", "type": 2}, headers=headers
    )
    assert bad_type.status_code == 400


async def test_guild_modify_and_delete(api):
    headers, guild = await _owner_with_guild(api)
    gid = guild["id"]
    patched = await api.patch(f"/guilds/{gid}", json={"name": "Renamed"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert (await api.delete(f"/guilds/{gid}", headers=headers)).status_code == 204
    assert (await api.get(f"/guilds/{gid}", headers=headers)).status_code == 404
