"""Ending logins in PostgreSQL: revocation that a racing rotation cannot escape, ending all of a
user's logins, and deleting an account."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import trio

from accord.adapters.postgres.storage import PostgresStorage
from accord.adapters.postgres.tokens import _rotate
from accord.core.entities import User
from accord.core.ports.storage import (
    AccountDeletion,
    DeletionOutcome,
    RotateOutcome,
    RotateResult,
)
from tests.integration.seed import fetch
from tests.integration.test_users_repo import (
    bot_application,
    digest,
    make_user,
    new_id,
    now,
    open_family,
    replacement,
)

WAIT_SECONDS = 10


async def _waiting_for_a_lock(storage: PostgresStorage) -> bool:
    rows = await fetch(storage, "SELECT count(*) AS n FROM pg_locks WHERE NOT granted")
    return int(rows[0]["n"]) > 0


async def test_a_revocation_ends_the_login_even_while_a_rotation_commits(
    storage: PostgresStorage,
):
    """A rotation holds the head when the revocation starts and commits its successor
    while the revocation waits: the successor must not be left live."""
    user = await make_user(storage)
    token = await open_family(storage, user, "s1")
    rotated, release = threading.Event(), threading.Event()
    results: list[Any] = []

    async def rotate_and_hold() -> RotateResult:
        # On the storage's own asyncio loop: a rotation whose commit waits for `release`.
        async with storage.pool.acquire() as connection, connection.transaction():
            result = await _rotate(connection, digest("s1"), replacement("s2"), now())
            rotated.set()
            await asyncio.to_thread(release.wait, WAIT_SECONDS)
        return result

    async def revoke() -> None:
        results.append(await storage.tokens.revoke_family(token.family_id))

    with trio.fail_after(WAIT_SECONDS):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(storage._bridge.run, rotate_and_hold)
            await trio.to_thread.run_sync(rotated.wait, WAIT_SECONDS)
            nursery.start_soon(revoke)
            # The revocation is queued behind the rotation's row lock.
            while not await _waiting_for_a_lock(storage):  # noqa: ASYNC110
                await trio.sleep(0.01)
            release.set()

    assert results == [1]
    assert await storage.tokens.is_family_live(token.family_id, now()) is False
    successor = await storage.tokens.rotate_refresh_token(digest("s2"), replacement("s3"), now())
    assert successor.outcome is RotateOutcome.REUSED


async def test_revoke_user_logins_ends_every_login_of_that_user_only(storage: PostgresStorage):
    user, other = await make_user(storage), await make_user(storage)
    first = await open_family(storage, user, "a1")
    second = await open_family(storage, user, "b1")
    await storage.tokens.rotate_refresh_token(digest("b1"), replacement("b2"), now())
    theirs = await open_family(storage, other, "o1")

    assert await storage.tokens.revoke_user_logins(user.id) == 2
    assert await storage.tokens.revoke_user_logins(user.id) == 0
    for family in (first, second):
        assert await storage.tokens.is_family_live(family.family_id, now()) is False
    assert await storage.tokens.is_family_live(theirs.family_id, now()) is True
    assert await storage.tokens.revoke_user_logins(new_id()) == 0


async def _row(storage: PostgresStorage, user: User) -> dict[str, Any]:
    rows = await fetch(
        storage,
        "SELECT username, global_name, avatar, email, password_hash, deleted_at"
        " FROM users WHERE id = $1",
        user.id,
    )
    return dict(rows[0])


async def test_delete_account_erases_the_login_and_keeps_a_renamed_row(storage: PostgresStorage):
    user = await make_user(storage, "doomed")
    family = await open_family(storage, user, "d1")

    deleted = await storage.users.delete_account(user.id, "Deleted User 1")
    assert deleted == AccountDeletion(DeletionOutcome.DELETED)

    row = await _row(storage, user)
    assert row["username"] == "Deleted User 1" and row["deleted_at"] is not None
    assert (row["global_name"], row["avatar"], row["email"], row["password_hash"]) == (
        None,
        None,
        None,
        None,
    )
    assert await storage.users.get_account(user.id) is None
    assert await storage.users.get_account_by_email("doomed@example.com") is None
    assert await storage.tokens.is_family_live(family.family_id, now()) is False
    again = await storage.users.delete_account(user.id, "Deleted User 2")
    assert again.outcome is DeletionOutcome.NO_ACCOUNT
    # The name and the address may be taken again.
    assert (await make_user(storage, "doomed")).username == "doomed"


async def test_delete_account_leaves_bots_and_unknown_users_alone(storage: PostgresStorage):
    owner = await make_user(storage)
    application = bot_application(owner)
    await storage.applications.create_application(application, digest("bot"))

    for user_id, name in ((application.bot.id, "Deleted User 3"), (new_id(), "Deleted User 4")):
        refused = await storage.users.delete_account(user_id, name)
        assert refused.outcome is DeletionOutcome.NO_ACCOUNT
    assert await storage.applications.get_bot_by_token(digest("bot")) == application
