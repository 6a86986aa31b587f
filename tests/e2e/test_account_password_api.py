"""Passwords over real HTTP: the policy on register and change, and deleting an account."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import account, bearer, register

PASSWORD = "correct horse"  # conftest.register's
NEW_PASSWORD = "battery staple 42"
WEAK = "PASSWORD_TOO_WEAK"


def _field_errors(response: httpx.Response, field: str) -> list[dict[str, str]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    return list(body["errors"][field]["_errors"])


async def _register(api: httpx.AsyncClient, name: str, password: str, email: str | None = None):
    return await api.post(
        "/auth/register",
        json={"username": name, "email": email or f"{name}@example.com", "password": password},
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaa", "one character repeated"),
        ("password", "most commonly used"),
        ("Password123!", "most commonly used"),
        ("12345678", "most commonly used"),
        ("i am dana_w!", "your username or email name"),
        ("DANA_W forever", "your username or email name"),
        ("xyzxyzxyz", "pattern 'xyz' repeated"),
    ],
)
async def test_register_refuses_weak_passwords_saying_why(
    api: httpx.AsyncClient, password: str, reason: str
):
    refused = await _register(api, "dana_w", password)
    errors = _field_errors(refused, "password")
    assert all(e["code"] == WEAK for e in errors)
    assert any(reason in e["message"] for e in errors), errors
    assert all(e["message"].startswith("Password is too weak or common to use") for e in errors)


async def test_register_refuses_a_password_containing_the_email_name(api: httpx.AsyncClient):
    refused = await _register(api, "erin", "mail2quiet.fox", email="quiet.fox@example.com")
    (error,) = _field_errors(refused, "password")
    assert error["code"] == WEAK and "quiet.fox" in error["message"]


async def test_register_reports_the_password_with_the_other_bad_fields(api: httpx.AsyncClient):
    refused = await _register(api, "a b", "aaaaaaaa", email="nope")
    assert set(refused.json()["errors"]) == {"username", "email", "password"}


async def test_the_readme_example_registers(api: httpx.AsyncClient):
    # README.md's curl example.
    assert (await _register(api, "alice", "correct horse")).status_code == 201


async def test_a_password_change_checks_the_current_password_and_the_policy(
    api: httpx.AsyncClient,
):
    alice, _ = await account(api, "alice")

    async def change(body: dict[str, object]) -> httpx.Response:
        return await api.patch("/users/@me", json=body, headers=alice)

    wrong = await change({"password": "not my password", "new_password": NEW_PASSWORD})
    assert _field_errors(wrong, "password") == [
        {"code": "PASSWORD_DOES_NOT_MATCH", "message": "Password does not match."}
    ]
    missing = await change({"new_password": NEW_PASSWORD})
    assert _field_errors(missing, "password")[0]["code"] == "BASE_TYPE_REQUIRED"
    weak = await change({"password": PASSWORD, "new_password": "qwerty123"})
    assert _field_errors(weak, "new_password")[0]["code"] == WEAK
    short = await change({"password": PASSWORD, "new_password": "short"})
    assert _field_errors(short, "new_password")[0]["code"] == "BASE_TYPE_BAD_LENGTH"
    # The name being taken in the same request counts too.
    renamed = await change(
        {"username": "stormcrow", "password": PASSWORD, "new_password": "stormcrow rides"}
    )
    assert "stormcrow" in _field_errors(renamed, "new_password")[0]["message"]
    # Nothing was changed by any of them.
    me = await api.get("/users/@me", headers=alice)
    assert me.status_code == 200 and me.json()["username"] == "alice"
    login = {"email": "alice@example.com", "password": PASSWORD}
    assert (await api.post("/auth/login", json=login)).status_code == 200


async def test_a_password_change_answers_a_new_login_and_ends_the_old_ones(
    api: httpx.AsyncClient,
):
    tokens = await register(api, "alice")
    alice = bearer(tokens["access_token"])
    changed = await api.patch(
        "/users/@me",
        json={"username": "alice2", "password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=alice,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["username"] == "alice2" and body["email"] == "alice@example.com"
    assert (await api.get("/users/@me", headers=alice)).status_code == 401
    old_refresh = await api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert old_refresh.status_code == 401
    assert (await api.get("/users/@me", headers=bearer(body["token"]))).status_code == 200
    new_refresh = await api.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert new_refresh.status_code == 200, new_refresh.text


async def test_a_correct_password_alone_is_accepted_with_a_profile_change(api: httpx.AsyncClient):
    alice, _ = await account(api, "alice")
    renamed = await api.patch(
        "/users/@me", json={"username": "alicia", "password": PASSWORD}, headers=alice
    )
    assert renamed.status_code == 200 and "token" not in renamed.json()
    assert (await api.get("/users/@me", headers=alice)).status_code == 200


async def test_bots_have_no_password(api: httpx.AsyncClient):
    alice, _ = await account(api, "alice")
    app = (await api.post("/applications", json={"name": "Helper"}, headers=alice)).json()
    as_bot = {"Authorization": f"Bot {app['token']}"}
    for refused in (
        await api.patch(
            "/users/@me", json={"password": PASSWORD, "new_password": NEW_PASSWORD}, headers=as_bot
        ),
        await api.post("/users/@me/delete", json={"password": PASSWORD}, headers=as_bot),
    ):
        assert refused.status_code == 403 and refused.json()["code"] == 20001


async def test_deleting_an_account_needs_its_password_and_no_owned_guild(api: httpx.AsyncClient):
    alice, _ = await account(api, "alice")
    wrong = await api.post("/users/@me/delete", json={"password": "nope nope"}, headers=alice)
    assert _field_errors(wrong, "password")[0]["code"] == "PASSWORD_DOES_NOT_MATCH"
    guild = await api.post("/guilds", json={"name": "mine"}, headers=alice)
    assert guild.status_code == 201
    owner = await api.post("/users/@me/delete", json={"password": PASSWORD}, headers=alice)
    assert owner.status_code == 400 and owner.json()["code"] == 40011
    assert (await api.get("/users/@me", headers=alice)).status_code == 200


async def test_a_deleted_account_keeps_its_messages_under_a_new_name(api: httpx.AsyncClient):
    alice, _ = await account(api, "alice")
    bob, bob_id = await account(api, "bob")
    guild = (await api.post("/guilds", json={"name": "g"}, headers=alice)).json()
    channels = (await api.get(f"/guilds/{guild['id']}/channels", headers=alice)).json()
    channel = next(c["id"] for c in channels if c["type"] == 0)
    invite = await api.post(f"/channels/{channel}/invites", json={}, headers=alice)
    assert (await api.post(f"/invites/{invite.json()['code']}", headers=bob)).status_code == 200
    sent = await api.post(f"/channels/{channel}/messages", json={"content": "hi"}, headers=bob)
    assert sent.status_code == 200

    deleted = await api.post("/users/@me/delete", json={"password": PASSWORD}, headers=bob)
    assert deleted.status_code == 204, deleted.text

    assert (await api.get("/users/@me", headers=bob)).status_code == 401
    login = {"email": "bob@example.com", "password": PASSWORD}
    assert (await api.post("/auth/login", json=login)).status_code == 401
    profile = (await api.get(f"/users/{bob_id}", headers=alice)).json()
    assert profile["username"] == f"Deleted User {bob_id:016x}"
    assert profile["avatar"] is None and profile.get("global_name") is None
    members = await api.get(f"/guilds/{guild['id']}/members/{bob_id}", headers=alice)
    assert members.status_code == 404
    history = (await api.get(f"/channels/{channel}/messages", headers=alice)).json()
    assert [m["author"]["username"] for m in history if m["id"] == sent.json()["id"]] == [
        f"Deleted User {bob_id:016x}"
    ]
    # The address and the name are free again.
    assert (await _register(api, "bob", "a whole new life")).status_code == 201
