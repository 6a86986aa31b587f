"""The auth service's caches and endings: a storage read that straddles a logout must not put
the ended login back into the cache."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from accord.adapters.crypto import JwtAccessTokens
from accord.core.clock import SystemClock
from accord.core.entities import User
from accord.core.errors import InvalidToken
from accord.core.services.auth import AuthService
from accord.core.snowflake import Snowflake, SnowflakeGenerator

USER = User(Snowflake(42), "alice")
LOGIN = Snowflake(4242)


class Tokens:
    """Answers `is_family_live` from `answers` in order, each when `release` is set."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.reading = trio.Event()
        self.release = trio.Event()

    async def is_family_live(self, family_id: Snowflake, now: Any) -> bool:
        self.calls += 1
        self.reading.set()
        await self.release.wait()
        return self.answers.pop(0)


class Users:
    async def get_user(self, user_id: Snowflake) -> User | None:
        await trio.lowlevel.checkpoint()
        return USER


class Storage:
    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.users = Users()


def service(tokens: Tokens) -> tuple[AuthService, str]:
    clock = SystemClock()
    signer = JwtAccessTokens(b"k" * 48)
    storage: Any = Storage(tokens)
    hasher: Any = None
    auth = AuthService(storage, hasher, signer, SnowflakeGenerator(1, clock), clock)
    token, _ = signer.issue(USER.id, LOGIN, clock.now_ms() // 1000)
    return auth, f"Bearer {token}"


async def test_a_read_answered_after_the_login_ended_is_not_cached() -> None:
    # The first read began before the logout and answers "live"; storage says
    # "ended" to every read after it.
    tokens = Tokens(True, False)
    auth, header = service(tokens)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(auth.authenticate, header)
            await tokens.reading.wait()
            auth.apply("session", LOGIN)  # the logout's announcement arrives meanwhile
            tokens.release.set()

    with pytest.raises(InvalidToken):
        await auth.authenticate(header)
    assert tokens.calls == 2


async def test_an_undisturbed_read_is_cached() -> None:
    tokens = Tokens(True)
    tokens.release.set()
    auth, header = service(tokens)

    first = await auth.authenticate(header)
    second = await auth.authenticate(header)

    assert first.user == second.user == USER and first.login == LOGIN
    assert tokens.calls == 1
