"""Users, bot applications and refresh tokens against a real PostgreSQL."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import trio

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.clock import SystemClock
from accord.core.entities import Application, RefreshToken, User
from accord.core.errors import Conflict, NotFound, Resource
from accord.core.ports.storage import RotateOutcome
from accord.core.snowflake import Snowflake, SnowflakeGenerator

_ids = SnowflakeGenerator(1, SystemClock())


def new_id() -> Snowflake:
    return _ids.next_id()


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def make_user(storage: PostgresStorage, name: str | None = None) -> User:
    user_id = new_id()
    name = name or f"u{user_id}"
    account = await storage.users.create_account(
        User(user_id, name), f"{name}@example.com", "argon2-hash"
    )
    return account.user


def bot_application(owner: User, token_name: str = "bot") -> Application:
    return Application(
        id=new_id(),
        name=f"App {token_name}",
        owner_id=owner.id,
        bot=User(new_id(), token_name, discriminator="1234", bot=True),
        description="does things",
    )


# --- users -----------------------------------------------------------------


async def test_create_account_then_read_it_back(storage: PostgresStorage):
    user = User(new_id(), "alice", global_name="Alice")
    account = await storage.users.create_account(user, "Alice@Example.com", "hash-1")

    assert account.user == user
    assert account.email == "Alice@Example.com"
    assert account.password_hash == "hash-1"
    assert account.created_at.tzinfo is not None
    assert abs(account.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert await storage.users.get_account(user.id) == account
    assert await storage.users.get_account_by_email("alice@example.COM") == account
    assert await storage.users.get_user(user.id) == user


async def test_duplicate_email_is_a_conflict_whatever_its_case(storage: PostgresStorage):
    await storage.users.create_account(User(new_id(), "first"), "same@example.com", "h")
    second = User(new_id(), "second")

    with pytest.raises(Conflict) as caught:
        await storage.users.create_account(second, "SAME@example.com", "h")

    assert caught.value.code == "EMAIL_ALREADY_REGISTERED"
    assert await storage.users.get_user(second.id) is None


async def test_duplicate_username_is_a_conflict_whatever_its_case(storage: PostgresStorage):
    await storage.users.create_account(User(new_id(), "Bob"), "bob1@example.com", "h")

    with pytest.raises(Conflict) as caught:
        await storage.users.create_account(User(new_id(), "bOB"), "bob2@example.com", "h")

    assert caught.value.code == "USERNAME_ALREADY_TAKEN"
    assert await storage.users.get_account_by_email("bob2@example.com") is None


async def test_unknown_users_and_accounts_are_none(storage: PostgresStorage):
    assert await storage.users.get_user(new_id()) is None
    assert await storage.users.get_account(new_id()) is None
    assert await storage.users.get_account_by_email("nobody@example.com") is None


async def test_get_users_returns_only_those_that_exist(storage: PostgresStorage):
    first = await make_user(storage)
    second = await make_user(storage)
    await make_user(storage)

    found = await storage.users.get_users([first.id, new_id(), second.id])

    assert sorted(found, key=lambda u: u.id) == [first, second]
    assert await storage.users.get_users([]) == []


async def test_update_user_writes_name_global_name_and_avatar(storage: PostgresStorage):
    user = await make_user(storage)
    changed = replace(user, username="renamed", global_name="Renamed", avatar="abc123")

    assert await storage.users.update_user(changed) == changed
    assert await storage.users.get_user(user.id) == changed
    assert await storage.users.update_user(replace(changed, id=new_id())) is None


async def test_update_user_to_a_taken_name_is_a_conflict_and_changes_nothing(
    storage: PostgresStorage,
):
    await make_user(storage, "taken")
    user = await make_user(storage)

    with pytest.raises(Conflict) as caught:
        await storage.users.update_user(replace(user, username="TAKEN", avatar="new"))

    assert caught.value.code == "USERNAME_ALREADY_TAKEN"
    assert await storage.users.get_user(user.id) == user


async def test_set_password_hash(storage: PostgresStorage):
    user = await make_user(storage)

    assert await storage.users.set_password_hash(user.id, "hash-2") is True
    account = await storage.users.get_account(user.id)
    assert account is not None and account.password_hash == "hash-2"
    assert await storage.users.set_password_hash(new_id(), "hash-3") is False


# --- applications ----------------------------------------------------------


async def test_create_application_stores_its_bot_user(storage: PostgresStorage):
    owner = await make_user(storage)
    application = bot_application(owner)

    created = await storage.applications.create_application(application, digest("t1"))

    assert created == application
    assert await storage.applications.get_application(application.id) == application
    bot = await storage.users.get_user(application.bot.id)
    assert bot == application.bot and bot.bot
    # A bot has no login of its own.
    assert await storage.users.get_account(application.bot.id) is None
    assert await storage.users.set_password_hash(application.bot.id, "x") is False


async def test_bot_user_is_stored_as_a_bot_even_if_the_entity_says_otherwise(
    storage: PostgresStorage,
):
    owner = await make_user(storage)
    application = bot_application(owner)
    application = replace(application, bot=replace(application.bot, bot=False))

    created = await storage.applications.create_application(application, digest("t"))

    assert created.bot.bot is True


async def test_bots_may_share_a_name_with_each_other_and_with_a_human(storage: PostgresStorage):
    owner = await make_user(storage, "helper")
    first = bot_application(owner, "helper")
    second = bot_application(owner, "helper")

    await storage.applications.create_application(first, digest("a"))
    await storage.applications.create_application(second, digest("b"))

    assert await storage.applications.list_applications(owner.id) == [first, second]


async def test_failed_create_application_leaves_no_bot_user(storage: PostgresStorage):
    owner = await make_user(storage)
    await storage.applications.create_application(bot_application(owner), digest("same"))
    clash = bot_application(owner)

    with pytest.raises(Conflict) as caught:
        await storage.applications.create_application(clash, digest("same"))

    assert caught.value.code == "BOT_TOKEN_TAKEN"
    assert await storage.users.get_user(clash.bot.id) is None
    assert await storage.applications.get_application(clash.id) is None


async def test_create_application_for_an_unknown_owner_is_not_found(storage: PostgresStorage):
    ghost = User(new_id(), "ghost")
    application = bot_application(ghost)

    with pytest.raises(NotFound) as caught:
        await storage.applications.create_application(application, digest("t"))

    assert caught.value.resource is Resource.USER
    assert await storage.users.get_user(application.bot.id) is None


async def test_list_applications_is_per_owner_in_id_order(storage: PostgresStorage):
    owner, other = await make_user(storage), await make_user(storage)
    mine = [bot_application(owner, f"b{i}") for i in range(3)]
    for index, application in enumerate(reversed(mine)):
        await storage.applications.create_application(application, digest(f"m{index}"))
    await storage.applications.create_application(bot_application(other), digest("o"))

    assert await storage.applications.list_applications(owner.id) == mine
    assert await storage.applications.list_applications(new_id()) == []


async def test_get_bot_by_token_and_token_replacement(storage: PostgresStorage):
    owner = await make_user(storage)
    application = bot_application(owner)
    await storage.applications.create_application(application, digest("old"))

    assert await storage.applications.get_bot_by_token(digest("old")) == application
    assert await storage.applications.set_bot_token(application.id, digest("new")) is True
    assert await storage.applications.get_bot_by_token(digest("old")) is None
    assert await storage.applications.get_bot_by_token(digest("new")) == application
    assert await storage.applications.set_bot_token(new_id(), digest("other")) is False
    assert await storage.applications.get_application(new_id()) is None


async def test_set_bot_token_to_another_bots_token_is_a_conflict(storage: PostgresStorage):
    owner = await make_user(storage)
    first, second = bot_application(owner), bot_application(owner)
    await storage.applications.create_application(first, digest("one"))
    await storage.applications.create_application(second, digest("two"))

    with pytest.raises(Conflict):
        await storage.applications.set_bot_token(second.id, digest("one"))

    assert await storage.applications.get_bot_by_token(digest("two")) == second


# --- refresh tokens --------------------------------------------------------


def now() -> datetime:
    return datetime.now(UTC)


async def open_family(storage: PostgresStorage, user: User, secret: str) -> RefreshToken:
    family = new_id()
    token = RefreshToken(family, user.id, family, digest(secret), now() + timedelta(days=30))
    await storage.tokens.create_refresh_token(token)
    return token


def replacement(secret: str) -> RefreshToken:
    # As the auth service builds it: user and family come from the old token.
    return RefreshToken(
        new_id(), Snowflake(0), Snowflake(0), digest(secret), now() + timedelta(days=30)
    )


async def test_rotation_replaces_the_token_within_its_family(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")

    first = await storage.tokens.rotate_refresh_token(digest("s1"), replacement("s2"), now())
    second = await storage.tokens.rotate_refresh_token(digest("s2"), replacement("s3"), now())

    assert first.outcome is second.outcome is RotateOutcome.ROTATED
    assert (first.user_id, first.family_id) == (user.id, token.family_id)
    assert (second.user_id, second.family_id) == (user.id, token.family_id)
    assert await storage.tokens.is_family_live(token.family_id, now()) is True


async def test_replaying_a_rotated_token_revokes_the_whole_family(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")
    other = await open_family(storage, user, "unrelated")
    await storage.tokens.rotate_refresh_token(digest("s1"), replacement("s2"), now())

    replay = await storage.tokens.rotate_refresh_token(digest("s1"), replacement("s3"), now())

    assert replay.outcome is RotateOutcome.REUSED
    assert replay.family_id == token.family_id
    assert await storage.tokens.is_family_live(token.family_id, now()) is False
    # The thief's copy and the owner's current token are both dead now.
    current = await storage.tokens.rotate_refresh_token(digest("s2"), replacement("s4"), now())
    assert current.outcome is RotateOutcome.REUSED
    # The attempted replacement was never stored.
    unknown = await storage.tokens.rotate_refresh_token(digest("s3"), replacement("s5"), now())
    assert unknown.outcome is RotateOutcome.UNKNOWN
    # Other logins of the same user are untouched.
    assert await storage.tokens.is_family_live(other.family_id, now()) is True


async def test_unknown_token_rotates_to_unknown(storage: PostgresStorage):
    result = await storage.tokens.rotate_refresh_token(digest("never"), replacement("x"), now())

    assert result.outcome is RotateOutcome.UNKNOWN
    assert result.user_id is None and result.family_id is None


async def test_expired_token_does_not_rotate(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")
    later = token.expires_at + timedelta(seconds=1)

    result = await storage.tokens.rotate_refresh_token(digest("s1"), replacement("s2"), later)

    assert result.outcome is RotateOutcome.EXPIRED
    assert await storage.tokens.is_family_live(token.family_id, later) is False
    assert await storage.tokens.is_family_live(token.family_id, now()) is True
    # Nothing was stored for the refused rotation.
    missing = await storage.tokens.rotate_refresh_token(digest("s2"), replacement("s3"), now())
    assert missing.outcome is RotateOutcome.UNKNOWN


async def test_expiry_is_exclusive(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")

    result = await storage.tokens.rotate_refresh_token(
        digest("s1"), replacement("s2"), token.expires_at
    )

    assert result.outcome is RotateOutcome.EXPIRED


async def test_revoke_family_counts_live_tokens_and_ends_the_login(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")
    await storage.tokens.rotate_refresh_token(digest("s1"), replacement("s2"), now())

    assert await storage.tokens.revoke_family(token.family_id) == 1
    assert await storage.tokens.revoke_family(token.family_id) == 0
    assert await storage.tokens.is_family_live(token.family_id, now()) is False
    result = await storage.tokens.rotate_refresh_token(digest("s2"), replacement("s3"), now())
    assert result.outcome is RotateOutcome.REUSED
    assert await storage.tokens.revoke_family(new_id()) == 0


async def test_unknown_family_is_not_live(storage: PostgresStorage):
    assert await storage.tokens.is_family_live(new_id(), now()) is False


async def test_create_refresh_token_rejects_duplicates_and_unknown_users(
    storage: PostgresStorage,
):
    user = await make_user(storage)
    await open_family(storage, user, "s1")
    family = new_id()

    with pytest.raises(Conflict) as caught:
        await storage.tokens.create_refresh_token(
            RefreshToken(family, user.id, family, digest("s1"), now() + timedelta(days=1))
        )
    assert caught.value.code == "TOKEN_TAKEN"
    with pytest.raises(NotFound) as missing:
        await storage.tokens.create_refresh_token(
            RefreshToken(family, new_id(), family, digest("s9"), now() + timedelta(days=1))
        )
    assert missing.value.resource is Resource.USER


async def test_concurrent_use_of_one_token_lets_only_one_rotate(storage: PostgresStorage):
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")
    attempts = 4
    # Open the pool's connections first, so the attempts really overlap.
    async with trio.open_nursery() as nursery:
        for _ in range(attempts):
            nursery.start_soon(storage.tokens.is_family_live, token.family_id, now())
    outcomes: list[RotateOutcome] = []

    async def use(secret: str) -> None:
        result = await storage.tokens.rotate_refresh_token(digest("s1"), replacement(secret), now())
        outcomes.append(result.outcome)

    async with trio.open_nursery() as nursery:
        for attempt in range(attempts):
            nursery.start_soon(use, f"next{attempt}")

    # One wins; the others look like a replay and end the login.
    assert outcomes.count(RotateOutcome.ROTATED) == 1
    assert outcomes.count(RotateOutcome.REUSED) == attempts - 1
    assert await storage.tokens.is_family_live(token.family_id, now()) is False
