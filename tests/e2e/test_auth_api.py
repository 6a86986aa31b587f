"""Auth over real HTTP: register, login, refresh rotation and reuse, logout."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import bearer, register


def _error(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["code"], body["error"]["code"]


async def test_register_then_me(api: httpx.AsyncClient):
    tokens = await register(api, "alice")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    me = await api.get("/users/@me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.headers["content-type"] == "application/json"
    body = me.json()
    assert body["username"] == "alice" and body["email"] == "alice@example.com"
    assert isinstance(body["id"], str) and body["bot"] is False
    other = await api.get(f"/users/{body['id']}", headers=bearer(tokens["access_token"]))
    assert other.status_code == 200 and "email" not in other.json()


async def test_register_rejects_bad_fields_naming_each(api: httpx.AsyncClient):
    response = await api.post(
        "/auth/register", json={"username": "a b", "email": "nope", "password": "short"}
    )
    assert _error(response) == (400, 50035, "VALIDATION_ERROR")
    assert set(response.json()["errors"]) == {"username", "email", "password"}


async def test_register_duplicate_email_and_username(api: httpx.AsyncClient):
    await register(api, "bob")
    same_email = await api.post(
        "/auth/register",
        json={"username": "bob2", "email": "bob@example.com", "password": "correct horse"},
    )
    assert same_email.status_code == 400 and "email" in same_email.json()["errors"]
    same_name = await api.post(
        "/auth/register",
        json={"username": "BOB", "email": "bob2@example.com", "password": "correct horse"},
    )
    assert same_name.status_code == 400 and "username" in same_name.json()["errors"]


async def test_login_errors_do_not_tell_unknown_email_from_wrong_password(api: httpx.AsyncClient):
    await register(api, "carol")
    wrong = await api.post(
        "/auth/login", json={"email": "carol@example.com", "password": "wrong password"}
    )
    unknown = await api.post(
        "/auth/login", json={"email": "nobody@example.com", "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]
    assert wrong.json()["code"] == unknown.json()["code"]
    ok = await api.post(
        "/auth/login", json={"email": "carol@example.com", "password": "correct horse"}
    )
    assert ok.status_code == 200 and ok.json()["access_token"]


async def test_refresh_rotates_and_reuse_revokes_the_family(api: httpx.AsyncClient):
    first = await register(api, "dave")
    second = await api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await api.get("/users/@me", headers=bearer(rotated["access_token"]))).status_code == 200
    # Replaying the first token is theft: the whole session ends.
    replay = await api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    after = await api.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    me = await api.get("/users/@me", headers=bearer(rotated["access_token"]))
    assert me.status_code == 401


async def test_logout_ends_the_session(api: httpx.AsyncClient):
    tokens = await register(api, "erin")
    assert (
        await api.post("/auth/logout", headers=bearer(tokens["access_token"]))
    ).status_code == 204
    assert (await api.get("/users/@me", headers=bearer(tokens["access_token"]))).status_code == 401
    again = await api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


async def test_missing_or_bad_tokens_are_401(api: httpx.AsyncClient):
    assert _error(await api.get("/users/@me"))[0] == 401
    assert _error(await api.get("/users/@me", headers=bearer("garbage")))[0] == 401
    bot = await api.get("/users/@me", headers={"Authorization": "Bot not-a-token"})
    assert bot.status_code == 401


async def test_bad_bodies_are_clear_4xx(api: httpx.AsyncClient):
    malformed = await api.post(
        "/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert _error(malformed) == (400, 50109, "BAD_REQUEST")
    not_json = await api.post(
        "/auth/login", content=b"email=x", headers={"Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    wrong_type = await api.post("/auth/login", json={"email": 5, "password": []})
    assert wrong_type.status_code in (400, 401)
    assert wrong_type.json()["code"] in (50035, 50014, 40001)
    huge = await api.post(
        "/auth/login", content=b"x" * (2 << 20), headers={"Content-Type": "application/json"}
    )
    assert huge.status_code == 413
    unknown = await api.get("/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["message"] == "404: Not Found"
    assert unknown.headers["content-type"] == "application/json"


@pytest.mark.parametrize("services", [1.0], indirect=True)
async def test_auth_is_rate_limited_with_discord_headers(api: httpx.AsyncClient):
    login = {"email": "nobody@example.com", "password": "whatever1"}
    for n in range(5):
        response = await api.post("/auth/login", json=login)
        assert response.status_code == 401
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(4 - n)
        assert response.headers["X-RateLimit-Bucket"] == "auth"
    refused = await api.post("/auth/login", json=login)
    assert refused.status_code == 429
    body = refused.json()
    assert body["global"] is False and 0 < body["retry_after"] <= 60
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Scope"] == "user"


async def test_nul_characters_are_refused_not_stored(api: httpx.AsyncClient):
    login = await api.post(
        "/auth/login", json={"email": "a\u0000@example.com", "password": "x" * 8}
    )
    assert login.status_code in (400, 401)
    register = await api.post(
        "/auth/register",
        json={"username": "nul_user", "email": "n@example.com", "password": "pass\u0000word"},
    )
    assert register.status_code == 400 and "password" in register.json()["errors"]
    in_query = await api.get("/users/@me?x=%00")
    assert in_query.status_code == 400
