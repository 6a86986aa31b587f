"""The caller's profile, guild list and DMs over real HTTP against real PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
import trio

from accord.core.permissions import ALL, DEFAULT_EVERYONE
from accord.core.snowflake import Snowflake
from tests.e2e.conftest import bearer, bounded, register

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 16


def data_uri(kind: str, image: bytes) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


def drain(stream) -> list:
    """Every event published so far (they are published before the response is sent)."""
    events = []
    while True:
        try:
            events.append(stream.receive_nowait())
        except trio.WouldBlock:
            return events


async def _user(api: httpx.AsyncClient, name: str) -> tuple[dict[str, str], str]:
    headers = bearer((await register(api, name))["access_token"])
    me = (await api.get("/users/@me", headers=headers)).json()
    return headers, me["id"]


async def _bot(api: httpx.AsyncClient, owner: dict[str, str], name: str = "Helper") -> dict:
    created = await api.post("/applications", json={"name": name}, headers=owner)
    assert created.status_code == 201, created.text
    return created.json()


# -- PATCH /users/@me -------------------------------------------------------------


@bounded
async def test_rename_answers_the_new_profile_and_tells_only_the_caller(api, services):
    alice, alice_id = await _user(api, "alice")
    await _user(api, "bob")
    async with services.bus.subscribe() as stream:
        changed = await api.patch(
            "/users/@me", json={"username": "alice_2", "global_name": "Alice"}, headers=alice
        )
        events = drain(stream)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["username"], body["global_name"]) == ("alice_2", "Alice")
    assert body["email"] == "alice@example.com" and body["id"] == alice_id
    assert [e.type for e in events] == ["USER_UPDATE"]
    assert events[0].user_ids == frozenset({Snowflake(int(alice_id))})
    assert events[0].data["username"] == "alice_2"
    again = (await api.get("/users/@me", headers=alice)).json()
    assert (again["username"], again["global_name"]) == ("alice_2", "Alice")
    # Every later request sees the new profile, not a cached copy of the old one.
    app = await _bot(api, alice)
    assert app["owner"]["username"] == "alice_2"
    # The old name is free again for someone else.
    reused = await api.post(
        "/auth/register",
        json={"username": "alice", "email": "new@example.com", "password": "correct horse"},
    )
    assert reused.status_code == 201, reused.text


@bounded
async def test_global_name_cleared_by_null_and_untouched_when_omitted(api):
    alice, _ = await _user(api, "alice")
    await api.patch("/users/@me", json={"global_name": "Al"}, headers=alice)
    kept = await api.patch("/users/@me", json={"username": "alice_b"}, headers=alice)
    assert kept.json()["global_name"] == "Al"
    cleared = await api.patch("/users/@me", json={"global_name": None}, headers=alice)
    assert cleared.status_code == 200 and cleared.json()["global_name"] is None
    assert cleared.json()["username"] == "alice_b"


@bounded
async def test_taken_username_is_refused_naming_the_field_and_nothing_changes(api, services):
    await _user(api, "alice")
    bob, _ = await _user(api, "bob")
    async with services.bus.subscribe() as stream:
        taken = await api.patch(
            "/users/@me", json={"username": "ALICE", "global_name": "Bobby"}, headers=bob
        )
        events = drain(stream)
    assert taken.status_code == 400
    body = taken.json()
    assert body["code"] == 50035 and list(body["errors"]) == ["username"]
    assert body["errors"]["username"]["_errors"][0]["code"] == "USERNAME_ALREADY_TAKEN"
    assert events == []
    me = (await api.get("/users/@me", headers=bob)).json()
    assert (me["username"], me["global_name"]) == ("bob", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a b"}, "username"),
        ({"username": "x"}, "username"),
        ({"username": 5}, "username"),
        ({"username": None}, "username"),
        ({"global_name": "x" * 33}, "global_name"),
        ({"global_name": "two\nlines"}, "global_name"),
        ({"avatar": "not a data uri"}, "avatar"),
        ({"avatar": "data:image/png;base64,!!!!"}, "avatar"),
        ({"avatar": data_uri("png", b"plain text, not a png")}, "avatar"),
        ({"avatar": data_uri("svg+xml", b"<svg/>")}, "avatar"),
        ({"nickname": "x"}, "nickname"),
    ],
)
@bounded
async def test_bad_profile_fields_are_refused_and_nothing_is_stored(api, body, field):
    alice, _ = await _user(api, "alice")
    # A valid field sent alongside must not be stored either.
    companion = {"global_name": "Kept"} if field == "username" else {"username": "renamed"}
    refused = await api.patch("/users/@me", json={**companion, **body}, headers=alice)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == 50035 and field in refused.json()["errors"]
    me = (await api.get("/users/@me", headers=alice)).json()
    assert (me["username"], me["global_name"], me["avatar"]) == ("alice", None, None)


@bounded
async def test_malformed_or_non_object_bodies_are_refused(api):
    alice, _ = await _user(api, "alice")
    headers = {**alice, "Content-Type": "application/json"}
    broken = await api.patch("/users/@me", content=b"{nope", headers=headers)
    assert broken.status_code == 400 and broken.json()["code"] == 50109
    listed = await api.patch("/users/@me", content=b"[]", headers=headers)
    assert listed.status_code == 400 and listed.json()["code"] == 50035
    plain = await api.patch(
        "/users/@me", content=b"x", headers={**alice, "Content-Type": "text/plain"}
    )
    assert plain.status_code == 415


@bounded
async def test_avatar_is_set_from_image_data_and_removed_with_null(api):
    alice, _ = await _user(api, "alice")
    png = await api.patch("/users/@me", json={"avatar": data_uri("png", PNG)}, headers=alice)
    assert png.status_code == 200, png.text
    first = png.json()["avatar"]
    assert len(first) == 32 and int(first, 16) >= 0
    other = await api.patch(
        "/users/@me", json={"avatar": data_uri("png", PNG + b"\x01")}, headers=alice
    )
    assert other.json()["avatar"] not in (None, first)
    gif = await api.patch("/users/@me", json={"avatar": data_uri("gif", GIF)}, headers=alice)
    assert gif.json()["avatar"].startswith("a_")
    removed = await api.patch("/users/@me", json={"avatar": None}, headers=alice)
    assert removed.json()["avatar"] is None


@bounded
async def test_a_bot_renames_itself_and_sees_it_at_once(api):
    owner, _ = await _user(api, "owner")
    bot_headers = {"Authorization": f"Bot {(await _bot(api, owner))['token']}"}
    before = await api.get("/users/@me", headers=bot_headers)
    assert before.status_code == 200 and before.json()["bot"] is True
    renamed = await api.patch("/users/@me", json={"username": "owner"}, headers=bot_headers)
    # Bots keep a discriminator, so a bot may share a person's name.
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["username"] == "owner" and renamed.json()["email"] is None
    after = await api.get("/users/@me", headers=bot_headers)
    assert after.json()["username"] == "owner" and after.json()["bot"] is True


@bounded
async def test_profile_routes_need_a_token(api):
    assert (await api.patch("/users/@me", json={"username": "x_y"})).status_code == 401
    assert (await api.get("/users/@me/guilds")).status_code == 401
    assert (await api.get("/users/@me/channels")).status_code == 401
    assert (await api.post("/users/@me/channels", json={"recipient_id": "1"})).status_code == 401


# -- GET /users/@me/guilds ---------------------------------------------------------


@bounded
async def test_my_guilds_pages_by_id_with_owner_and_permissions(api, services):
    alice, _ = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    ids = []
    for n in range(5):
        created = await api.post("/guilds", json={"name": f"G{n}"}, headers=alice)
        ids.append(created.json()["id"])
    everything = (await api.get("/users/@me/guilds", headers=alice)).json()
    assert [g["id"] for g in everything] == ids
    assert all(g["owner"] is True and g["permissions"] == str(int(ALL)) for g in everything)
    assert {"id", "name", "icon", "features", "owner", "permissions"} <= set(everything[0])

    async def page(query: str) -> list[str]:
        response = await api.get(f"/users/@me/guilds?{query}", headers=alice)
        assert response.status_code == 200, response.text
        return [g["id"] for g in response.json()]

    assert await page("limit=2") == ids[:2]
    assert await page(f"after={ids[1]}&limit=2") == ids[2:4]
    assert await page(f"before={ids[3]}&limit=2") == ids[1:3]
    assert await page(f"before={ids[4]}&after={ids[0]}") == ids[1:4]
    assert await page(f"after={ids[4]}") == []

    await services.storage.members.add_member(
        Snowflake(int(ids[2])), Snowflake(int(bob_id)), datetime.now(UTC)
    )
    bobs = (await api.get("/users/@me/guilds?with_counts=true", headers=bob)).json()
    assert [g["id"] for g in bobs] == [ids[2]]
    assert bobs[0]["owner"] is False
    assert bobs[0]["permissions"] == str(int(DEFAULT_EVERYONE))
    assert bobs[0]["approximate_member_count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("before=xyz", "before"),
        ("after=-5", "after"),
        ("after=1.5", "after"),
        ("with_counts=maybe", "with_counts"),
    ],
)
@bounded
async def test_my_guilds_bad_query_is_refused_naming_the_parameter(api, query, field):
    alice, _ = await _user(api, "alice")
    response = await api.get(f"/users/@me/guilds?{query}", headers=alice)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 50035 and field in response.json()["errors"]


# -- DMs ---------------------------------------------------------------------------


@bounded
async def test_dm_open_is_idempotent_and_both_sides_list_it(api, services):
    alice, alice_id = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    async with services.bus.subscribe() as stream:
        first = await api.post("/users/@me/channels", json={"recipient_id": bob_id}, headers=alice)
        second = await api.post(
            "/users/@me/channels", json={"recipient_id": int(bob_id)}, headers=alice
        )
        from_bob = await api.post(
            "/users/@me/channels", json={"recipient_id": alice_id}, headers=bob
        )
        events = drain(stream)
    assert first.status_code == second.status_code == from_bob.status_code == 200
    channel = first.json()
    assert channel["type"] == 1
    assert [u["id"] for u in channel["recipients"]] == [bob_id]
    assert second.json()["id"] == from_bob.json()["id"] == channel["id"]
    assert [u["id"] for u in from_bob.json()["recipients"]] == [alice_id]
    assert [e.type for e in events] == ["CHANNEL_CREATE"]
    assert events[0].user_ids == frozenset({Snowflake(int(alice_id))})
    bobs = (await api.get("/users/@me/channels", headers=bob)).json()
    assert [(c["id"], [u["id"] for u in c["recipients"]]) for c in bobs] == [
        (channel["id"], [alice_id])
    ]
    alices = (await api.get("/users/@me/channels", headers=alice)).json()
    assert [(c["id"], [u["id"] for u in c["recipients"]]) for c in alices] == [
        (channel["id"], [bob_id])
    ]
    sent = await api.post(
        f"/channels/{channel['id']}/messages", json={"content": "hi bob"}, headers=alice
    )
    assert sent.status_code == 200, sent.text


@bounded
async def test_a_bot_may_open_a_dm_with_a_person_but_not_with_a_bot(api):
    owner, owner_id = await _user(api, "owner")
    first = {"Authorization": f"Bot {(await _bot(api, owner, 'One'))['token']}"}
    other = await _bot(api, owner, "Two")
    with_person = await api.post(
        "/users/@me/channels", json={"recipient_id": owner_id}, headers=first
    )
    assert with_person.status_code == 200, with_person.text
    with_bot = await api.post(
        "/users/@me/channels", json={"recipient_id": other["id"]}, headers=first
    )
    assert with_bot.status_code == 403 and with_bot.json()["code"] == 50007


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"recipient_id": "abc"}, 400, 50035, "recipient_id"),
        ({"recipient_id": True}, 400, 50035, "recipient_id"),
        ({"recipient_id": None}, 400, 50035, "recipient_id"),
        ({"recipient_id": [1]}, 400, 50035, "recipient_id"),
        ({"recipient_id": "-1"}, 400, 50035, "recipient_id"),
        ({}, 400, 50035, "recipient_id"),
        ({"recipient_id": "1", "access_tokens": []}, 400, 50035, "access_tokens"),
        ({"recipient_id": "123456789"}, 404, 10013, None),
    ],
)
@bounded
async def test_dm_bad_recipient_is_refused_and_nothing_is_stored(api, body, status, code, field):
    alice, _ = await _user(api, "alice")
    response = await api.post("/users/@me/channels", json=body, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    if field is not None:
        assert field in response.json()["errors"]
    assert (await api.get("/users/@me/channels", headers=alice)).json() == []


@bounded
async def test_dm_with_yourself_is_refused(api):
    alice, alice_id = await _user(api, "alice")
    response = await api.post("/users/@me/channels", json={"recipient_id": alice_id}, headers=alice)
    assert response.status_code == 400
    assert response.json()["errors"]["recipient_id"]["_errors"][0]["code"] == "INVALID_RECIPIENT"
    assert (await api.get("/users/@me/channels", headers=alice)).json() == []
