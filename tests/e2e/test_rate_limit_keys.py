"""Rate limits count a signed-in caller by user and anyone else by address.

An Authorization header that names no one is no identity: changing it with
every request must not open a new bucket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from accord.bootstrap import open_services
from accord.config import Settings
from accord.http.server import serve_api
from tests.e2e.conftest import TEST_JWT_SECRET, bearer, register

# The auth bucket: 5 attempts a minute (accord.http.ratelimit.AUTH).
AUTH_LIMIT = 5
MESSAGE_LIMIT = 5  # per caller and channel every 5 seconds

real_limits = pytest.mark.parametrize("services", [1.0], indirect=True)


def _junk(n: int) -> dict[str, str]:
    """A different invalid credential each time, in each scheme a client could try."""
    return {"Authorization": ("Bearer ", "Bot ", "Basic ", "")[n % 4] + f"junk.{n}.token"}


def _registration(n: int) -> dict[str, str]:
    return {"username": f"junk{n}", "email": f"junk{n}@example.com", "password": "correct horse"}


@real_limits
async def test_registrations_with_junk_headers_are_limited_like_those_without(api):
    statuses = [
        (await api.post("/auth/register", json=_registration(n), headers=_junk(n))).status_code
        for n in range(7)
    ]
    assert statuses == [201] * AUTH_LIMIT + [429] * (7 - AUTH_LIMIT)
    # Nor does a header-less request get a fresh bucket: it is the same address.
    plain = await api.post("/auth/register", json=_registration(99))
    assert plain.status_code == 429


@real_limits
async def test_login_guessing_with_junk_headers_is_limited(api):
    guess = {"email": "victim@example.com", "password": "guess 0000"}
    statuses = [
        (await api.post("/auth/login", json=guess, headers=_junk(n))).status_code for n in range(7)
    ]
    assert statuses == [401] * AUTH_LIMIT + [429] * (7 - AUTH_LIMIT)


@real_limits
async def test_a_valid_token_does_not_buy_more_registrations(api):
    """Register, login and refresh are counted by address even for a signed-in caller."""
    first = await register(api, "first")
    headers = bearer(first["access_token"])
    statuses = [
        (await api.post("/auth/register", json=_registration(n), headers=headers)).status_code
        for n in range(AUTH_LIMIT)
    ]
    assert statuses == [201] * (AUTH_LIMIT - 1) + [429]


@real_limits
async def test_a_users_message_limit_is_per_user_not_per_token(api):
    owner = await register(api, "owner")
    again = await api.post(
        "/auth/login", json={"email": "owner@example.com", "password": "correct horse"}
    )
    assert again.status_code == 200, again.text
    sessions = [bearer(owner["access_token"]), bearer(again.json()["access_token"])]
    guild = (await api.post("/guilds", json={"name": "Limits"}, headers=sessions[0])).json()
    channel = guild["channels"][0]["id"]
    invite = await api.post(f"/channels/{channel}/invites", json={}, headers=sessions[0])
    other = bearer((await register(api, "other"))["access_token"])
    joined = await api.post(f"/invites/{invite.json()['code']}", headers=other)
    assert joined.status_code == 200, joined.text

    url = f"/channels/{channel}/messages"
    statuses = [
        (await api.post(url, json={"content": f"{n}"}, headers=sessions[n % 2])).status_code
        for n in range(MESSAGE_LIMIT + 1)
    ]
    # Two sessions of one user share the user's bucket...
    assert statuses == [200] * MESSAGE_LIMIT + [429]
    # ...and another user from the same address has a bucket of its own.
    theirs = await api.post(url, json={"content": "mine"}, headers=other)
    assert theirs.status_code == 200, theirs.text
    assert theirs.headers["X-RateLimit-Remaining"] == str(MESSAGE_LIMIT - 1)


# -- behind a trusted proxy -----------------------------------------------------------


@pytest.fixture
async def proxied_api(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A live server that trusts the test client's address, 127.0.0.1, as a reverse proxy."""
    settings = Settings(
        api_port=0,
        data_dir=tmp_path,
        jwt_secret=TEST_JWT_SECRET,
        pool_size=2,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    async with open_services(settings, database_url) as services, trio.open_nursery() as nursery:
        port = await nursery.start(serve_api, services, "127.0.0.1", 0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/api/v10", timeout=10
        ) as client:
            yield client
        nursery.cancel_scope.cancel()


async def _guesses(api: httpx.AsyncClient, forwarded_for: str | None, count: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    guess = {"email": "victim@example.com", "password": "guess 0000"}
    return [
        (await api.post("/auth/login", json=guess, headers=headers)).status_code
        for _ in range(count)
    ]


async def test_a_trusted_proxy_names_the_client(proxied_api):
    limited = [401] * AUTH_LIMIT + [429]
    assert await _guesses(proxied_api, "203.0.113.7", AUTH_LIMIT + 1) == limited
    # Another client behind the same proxy has its own bucket...
    assert await _guesses(proxied_api, "203.0.113.8", AUTH_LIMIT + 1) == limited
    # ...and what a client wrote left of the proxy's own entry is not believed.
    assert await _guesses(proxied_api, "198.51.100.1, 203.0.113.7", 1) == [429]
    # An IPv6 client is counted by its /64.
    assert await _guesses(proxied_api, "2001:db8:1:2::1", AUTH_LIMIT) == [401] * AUTH_LIMIT
    assert await _guesses(proxied_api, "2001:db8:1:2:ffff::9", 1) == [429]


@real_limits
async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(api):
    statuses = [(await _guesses(api, f"203.0.113.{n}", 1))[0] for n in range(AUTH_LIMIT + 1)]
    assert statuses == [401] * AUTH_LIMIT + [429]


async def test_a_signed_in_password_check_is_counted_per_user_from_any_address(proxied_api):
    """A stolen token guessing its user's password gains nothing from changing address."""
    headers = bearer((await register(proxied_api, "victim"))["access_token"])
    statuses = []
    for n in range(AUTH_LIMIT + 1):
        guess = await proxied_api.post(
            "/users/@me/delete",
            json={"password": f"guess {n:04}"},
            headers={**headers, "X-Forwarded-For": f"198.51.100.{n + 1}"},
        )
        statuses.append(guess.status_code)
    assert all(400 <= s < 500 and s != 429 for s in statuses[:AUTH_LIMIT]), statuses
    assert statuses[AUTH_LIMIT] == 429


async def _password_check(
    api: httpx.AsyncClient, headers: dict[str, str], n: int, address: str, *, delete: bool = False
) -> int:
    """A wrong password, sent with a password change or an account deletion from ``address``."""
    forwarded = {**headers, "X-Forwarded-For": address}
    if delete:
        sent = await api.post(
            "/users/@me/delete", json={"password": f"guess {n:04}"}, headers=forwarded
        )
    else:
        sent = await api.patch(
            "/users/@me",
            json={"password": f"guess {n:04}", "new_password": "a brand new secret"},
            headers=forwarded,
        )
    return sent.status_code


async def test_password_changes_and_deletions_share_one_bucket_per_user(proxied_api):
    """Five guesses through a password change leave none for a deletion, from any address."""
    headers = bearer((await register(proxied_api, "victim"))["access_token"])
    changes = [
        await _password_check(proxied_api, headers, n, f"198.51.100.{n + 1}")
        for n in range(AUTH_LIMIT)
    ]
    assert changes == [400] * AUTH_LIMIT
    assert await _password_check(proxied_api, headers, 99, "192.0.2.1", delete=True) == 429
    assert await _password_check(proxied_api, headers, 98, "192.0.2.2") == 429


async def test_logins_and_password_checks_share_one_bucket_per_address(proxied_api):
    """A client that spent its login guesses has no password check left, for any user."""
    headers = bearer((await register(proxied_api, "someone"))["access_token"])
    client = "203.0.113.9"
    assert await _guesses(proxied_api, client, AUTH_LIMIT) == [401] * AUTH_LIMIT
    assert await _password_check(proxied_api, headers, 0, client) == 429
    assert await _password_check(proxied_api, headers, 1, client, delete=True) == 429
