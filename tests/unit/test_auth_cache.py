"""The auth service's caches and endings: a storage read that straddles a logout must not put
the ended login back into the cache; a refused credential is not read again for a while; an
announcement forgets only what it names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio

from accord.adapters.crypto import JwtAccessTokens
from accord.core.clock import SystemClock
from accord.core.entities import Application, User
from accord.core.errors import InvalidToken
from accord.core.services.auth import (
    REFUSAL_CACHE_MAX,
    REFUSAL_CACHE_TTL_S,
    AuthService,
    bot_token_shaped,
    hash_secret,
    new_bot_token,
)
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from tests.unit.fakes import FakeClock, FakePasswordHasher
from tests.unit.storage_fakes import FakeStorage

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


# Refusals: a credential storage refused is not read again for a while, and a
# bot token no one could have minted is never read.

PASSWORD = "correct horse"
BOT = User(Snowflake(90), "bot", bot=True)
BOT_APP = Application(Snowflake(90), "bot app", USER.id, BOT)


class Counted:
    """An AuthService over fake storage and a fake clock, counting the reads that
    authenticate makes."""

    def __init__(self) -> None:
        self.clock = FakeClock(1_717_200_000_000)
        self.storage = FakeStorage()
        self.reads: Counter[str] = Counter()
        for repository, name in (
            (self.storage.applications, "get_bot_by_token"),
            (self.storage.tokens, "is_family_live"),
            (self.storage.users, "get_user"),
        ):
            setattr(repository, name, self._counting(name, getattr(repository, name)))
        self.service = AuthService(
            self.storage,
            FakePasswordHasher(),
            JwtAccessTokens(b"k" * 32),
            SnowflakeGenerator(1, self.clock),
            self.clock,
        )

    def _counting(self, name: str, read: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def counted(*args: Any) -> Any:
            self.reads[name] += 1
            return await read(*args)

        return counted

    async def refused(self, header: str, times: int = 1) -> None:
        for _ in range(times):
            with pytest.raises(InvalidToken):
                await self.service.authenticate(header)

    async def login(self, user: User = USER) -> str:
        """A new login of `user` (made an account first if need be): its Authorization header."""
        email = f"{user.username}@example.com"
        if await self.storage.users.get_account_by_email(email) is None:
            await self.storage.users.create_account(user, email, f"hashed:{PASSWORD}")
        tokens = await self.service.login(email, PASSWORD)
        return f"Bearer {tokens.access_token}"


async def test_the_same_unknown_bot_token_is_read_once_until_its_refusal_lapses() -> None:
    counted = Counted()
    junk = f"Bot {new_bot_token(BOT.id)}"  # well formed, never issued

    await counted.refused(junk, times=20)
    assert counted.reads["get_bot_by_token"] == 1

    counted.clock.advance(int(REFUSAL_CACHE_TTL_S * 1000) + 1)
    await counted.refused(junk, times=20)
    assert counted.reads["get_bot_by_token"] == 2


@pytest.mark.parametrize(
    "token",
    [
        "junk",
        "not-a-token",
        "MTIz.short",  # "123", a secret too short
        f"MTIz.{'a' * 44}",  # a secret too long
        f"MTIz.{'a' * 42}==",  # padded
        f"YWJj.{'a' * 43}",  # "abc": not an id
        f"MDEy.{'a' * 43}",  # "012": an id is never spelled with a leading zero
        f"MR.{'a' * 43}",  # "1" spelled another way than new_bot_token's "MQ"
        f"{'OTk5' * 8}.{'a' * 43}",  # 24 nines: past any id
        f"MTIz.{'a' * 43}.x",
        f"MTIz.{'a' * 42}/",  # not URL-safe base64
    ],
)
async def test_a_bot_token_new_bot_token_cannot_have_made_is_refused_unread(token: str) -> None:
    counted = Counted()
    await counted.refused(f"Bot {token}", times=3)
    assert counted.reads == Counter()


@pytest.mark.parametrize("bot_id", [1, 9, 90, 10**17, 2**63 - 1, 10**20 - 1])
def test_every_minted_bot_token_has_the_shape(bot_id: int) -> None:
    assert all(bot_token_shaped(new_bot_token(bot_id)) for _ in range(50))


async def test_a_bot_token_is_accepted_right_after_junk_and_a_new_one_right_after_a_reset() -> None:
    counted = Counted()
    first, second = new_bot_token(BOT.id), new_bot_token(BOT.id)
    await counted.refused(f"Bot {new_bot_token(BOT.id)}", times=5)
    await counted.refused("Bot junk", times=5)

    await counted.storage.applications.create_application(BOT_APP, hash_secret(first))
    assert (await counted.service.authenticate(f"Bot {first}")).application == BOT_APP

    await counted.storage.applications.set_bot_token(BOT_APP.id, hash_secret(second))
    await counted.service.bot_token_replaced(BOT_APP.id)
    await counted.refused(f"Bot {first}", times=5)
    assert (await counted.service.authenticate(f"Bot {second}")).application == BOT_APP


async def test_an_ended_logins_token_is_read_once_and_a_new_login_works_at_once() -> None:
    counted = Counted()
    ended = await counted.login()
    principal = await counted.service.authenticate(ended)
    await counted.service.logout(principal)
    counted.reads.clear()

    await counted.refused(ended, times=20)
    assert counted.reads["is_family_live"] == 1

    fresh = await counted.login()
    assert (await counted.service.authenticate(fresh)).user == USER


async def test_an_ended_login_stays_refused_when_its_refusal_lapses() -> None:
    counted = Counted()
    ended = await counted.login()
    await counted.service.logout(await counted.service.authenticate(ended))
    await counted.refused(ended)

    counted.clock.advance(int(REFUSAL_CACHE_TTL_S * 1000) + 1)
    await counted.service.forget_user(USER.id)  # announcements leave refusals alone
    await counted.refused(ended, times=3)
    assert counted.reads["is_family_live"] == 2


async def test_what_needs_no_read_to_refuse_cannot_push_out_the_refusals_that_save_reads() -> None:
    counted = Counted()
    unknown = f"Bot {new_bot_token(BOT.id)}"
    await counted.refused(unknown)
    forged, _ = JwtAccessTokens(b"x" * 32).issue(USER.id, LOGIN, counted.clock.now_ms() // 1000)
    await counted.refused(f"Bearer {forged}", times=3)
    for n in range(REFUSAL_CACHE_MAX + 1):
        await counted.refused(f"Bearer not-a-jwt-{n}")
        await counted.refused(f"Bot not-a-bot-token-{n}")

    await counted.refused(unknown)
    assert counted.reads == Counter({"get_bot_by_token": 1})


# Forgetting: an announcement costs the entries it names; every other stays cached.


async def test_forgetting_a_login_a_user_or_their_logins_keeps_every_other_entry() -> None:
    counted = Counted()
    bob = User(Snowflake(43), "bob")
    alices = [await counted.login() for _ in range(30)]
    bobs = [await counted.login(bob) for _ in range(3)]
    everyone = [*alices, *bobs]
    for header in everyone:
        await counted.service.authenticate(header)  # now cached
    ended = await counted.service.authenticate(alices[0])
    counted.reads.clear()

    counted.service.apply("session", ended.login)
    for header in everyone:
        await counted.service.authenticate(header)
    # Only the forgotten login was asked about again (storage still says it is live).
    assert counted.reads == Counter({"is_family_live": 1, "get_user": 1})

    counted.reads.clear()
    counted.service.apply("user", USER.id)
    for header in everyone:
        await counted.service.authenticate(header)
    assert counted.reads == Counter({"get_user": 30})  # alice's logins are still trusted

    counted.reads.clear()
    counted.service.apply("logins", USER.id)
    for header in everyone:
        await counted.service.authenticate(header)
    assert counted.reads == Counter({"is_family_live": 30, "get_user": 30})
