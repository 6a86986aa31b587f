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


async def _guild_with(api: httpx.AsyncClient, owner: dict[str, str], *members) -> dict:
    """A guild of ``owner`` that each of ``members`` (headers) joins through an invite."""
    guild = (await api.post("/guilds", json={"name": "Common"}, headers=owner)).json()
    invite = await api.post(
        f"/channels/{guild['channels'][0]['id']}/invites", json={"max_age": 0}, headers=owner
    )
    assert invite.status_code == 200, invite.text
    for member in members:
        joined = await api.post(f"/invites/{invite.json()['code']}", headers=member)
        assert joined.status_code == 200, joined.text
    return dict(guild)


async def _add_bot(api: httpx.AsyncClient, owner: dict[str, str], app: dict, guild: dict) -> None:
    added = await api.post(
        "/oauth2/authorize",
        json={"client_id": app["id"], "scope": "bot", "guild_id": guild["id"], "permissions": "0"},
        headers=owner,
    )
    assert added.status_code == 200, added.text


async def _open_dm(api: httpx.AsyncClient, sender: dict[str, str], recipient_id) -> httpx.Response:
    return await api.post(
        "/users/@me/channels", json={"recipient_id": recipient_id}, headers=sender
    )


async def _say(api: httpx.AsyncClient, sender: dict[str, str], channel_id, text: str):
    return await api.post(
        f"/channels/{channel_id}/messages", json={"content": text}, headers=sender
    )


def _cannot_message(response: httpx.Response) -> bool:
    """Discord's refusal of a DM: 403 with 50007."""
    return response.status_code == 403 and response.json()["code"] == 50007


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
    await _guild_with(api, alice, bob)
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
async def test_a_bot_may_open_a_dm_with_a_person_it_shares_a_guild_with_but_not_with_a_bot(api):
    owner, owner_id = await _user(api, "owner")
    app = await _bot(api, owner, "One")
    first = {"Authorization": f"Bot {app['token']}"}
    other = await _bot(api, owner, "Two")
    assert _cannot_message(await _open_dm(api, first, owner_id))
    guild = await _guild_with(api, owner)
    await _add_bot(api, owner, app, guild)
    await _add_bot(api, owner, other, guild)

    with_person = await _open_dm(api, first, owner_id)
    assert with_person.status_code == 200, with_person.text
    sent = await _say(api, first, with_person.json()["id"], "hello from a bot")
    assert sent.status_code == 200, sent.text
    answered = await _open_dm(api, owner, app["id"])
    assert answered.json()["id"] == with_person.json()["id"]
    assert (await _say(api, owner, answered.json()["id"], "hello bot")).status_code == 200
    assert _cannot_message(await _open_dm(api, first, other["id"]))


@bounded
async def test_a_dm_with_a_stranger_is_refused_and_nothing_is_stored(api, services):
    alice, alice_id = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    carol, _ = await _user(api, "carol")
    await _guild_with(api, alice, carol)  # a guild of alice's, without bob
    async with services.bus.subscribe() as stream:
        refused = await _open_dm(api, alice, bob_id)
        events = drain(stream)
    assert _cannot_message(refused)
    assert refused.json()["message"] == "Cannot send messages to this user"
    assert events == []
    for who in (alice, bob):
        assert (await api.get("/users/@me/channels", headers=who)).json() == []
    assert _cannot_message(await _open_dm(api, bob, alice_id))


@bounded
async def test_a_recipient_who_allows_dms_from_anyone_can_be_messaged_until_they_stop(api):
    alice, _ = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    assert (await api.get("/users/@me/settings", headers=bob)).json() == {
        "allow_dms_from_anyone": False
    }
    allowed = await api.patch(
        "/users/@me/settings", json={"allow_dms_from_anyone": True}, headers=bob
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"allow_dms_from_anyone": True}
    assert (await api.get("/users/@me/settings", headers=bob)).json() == allowed.json()

    opened = await _open_dm(api, alice, bob_id)
    assert opened.status_code == 200, opened.text
    dm = opened.json()["id"]
    assert (await _say(api, alice, dm, "hi stranger")).status_code == 200
    # Consent is one-way: alice did not give hers, so bob needs the DM alice opened.
    assert (await _say(api, bob, dm, "hi back")).status_code == 403

    closed = await api.patch(
        "/users/@me/settings", json={"allow_dms_from_anyone": False}, headers=bob
    )
    assert closed.json() == {"allow_dms_from_anyone": False}
    assert _cannot_message(await _say(api, alice, dm, "still there?"))
    # An empty PATCH changes nothing.
    same = await api.patch("/users/@me/settings", json={}, headers=bob)
    assert same.status_code == 200 and same.json() == {"allow_dms_from_anyone": False}


@bounded
async def test_after_leaving_the_shared_guild_sends_into_the_old_dm_are_refused(api):
    alice, alice_id = await _user(api, "alice")
    bob, bob_id = await _user(api, "bob")
    guild = await _guild_with(api, alice, bob)
    dm = (await _open_dm(api, alice, bob_id)).json()["id"]
    earlier = await _say(api, alice, dm, "before")
    assert earlier.status_code == 200, earlier.text

    kicked = await api.delete(f"/guilds/{guild['id']}/members/{bob_id}", headers=alice)
    assert kicked.status_code == 204, kicked.text

    assert _cannot_message(await _say(api, alice, dm, "after"))
    assert _cannot_message(await _say(api, bob, dm, "after"))
    # The DM and its history stay theirs: it reopens and reads, as on Discord.
    reopened = await _open_dm(api, bob, alice_id)
    assert reopened.status_code == 200 and reopened.json()["id"] == dm
    history = await api.get(f"/channels/{dm}/messages", headers=bob)
    assert [m["content"] for m in history.json()] == ["before"]
    # Sharing a guild again opens it again.
    await _guild_with(api, bob, alice)
    assert (await _say(api, alice, dm, "back")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allow_dms_from_anyone": None}, "allow_dms_from_anyone"),
        ({"allow_dms_from_anyone": "true"}, "allow_dms_from_anyone"),
        ({"allow_dms_from_anyone": 1}, "allow_dms_from_anyone"),
        ({"default_guilds_restricted": True}, "default_guilds_restricted"),
    ],
)
@bounded
async def test_bad_settings_are_refused_naming_the_field_and_nothing_changes(api, body, field):
    bob, _ = await _user(api, "bob")
    response = await api.patch("/users/@me/settings", json=body, headers=bob)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 50035 and field in response.json()["errors"]
    assert (await api.get("/users/@me/settings", headers=bob)).json() == {
        "allow_dms_from_anyone": False
    }


@bounded
async def test_settings_are_for_people_only(api):
    owner, _ = await _user(api, "owner")
    bot = {"Authorization": f"Bot {(await _bot(api, owner))['token']}"}
    for response in (
        await api.get("/users/@me/settings", headers=bot),
        await api.patch("/users/@me/settings", json={"allow_dms_from_anyone": True}, headers=bot),
    ):
        assert response.status_code == 403 and response.json()["code"] == 20001
    assert (await api.get("/users/@me/settings")).status_code == 401
    assert (await api.patch("/users/@me/settings", json={})).status_code == 401


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
