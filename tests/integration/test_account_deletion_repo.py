"""Deleting an account in PostgreSQL: one step, refused while it owns a guild, and no join,
guild creation or ownership transfer slipping past it in either order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import trio

from accord.adapters.postgres.live_accounts import hold_live_account
from accord.adapters.postgres.membership import join
from accord.adapters.postgres.sql import Connection
from accord.adapters.postgres.storage import PostgresStorage
from accord.adapters.postgres.users import _delete_account
from accord.core.entities import Channel, ChannelType, Guild, Role, User
from accord.core.errors import NotFound, Resource
from accord.core.permissions import DEFAULT_EVERYONE
from accord.core.ports.storage import AccountDeletion, DeletionOutcome
from accord.core.snowflake import Snowflake
from tests.integration import seed
from tests.integration.test_users_repo import make_user, now, open_family

WAIT_SECONDS = 10
DELETED = "Deleted User"


class HeldTransaction:
    """Statements run in a transaction on the storage's asyncio side, the commit held back
    until ``commit``: another operation racing them waits on their locks meanwhile."""

    def __init__(
        self, storage: PostgresStorage, statements: Callable[[Connection], Awaitable[Any]]
    ) -> None:
        self._storage = storage
        self._statements = statements
        self._ran, self._gate = asyncio.Event(), asyncio.Event()
        self.result: list[Any] = []

    async def start(self, nursery: trio.Nursery) -> None:
        nursery.start_soon(self._storage._bridge.run, self._run)
        # Polled: the event is set on the asyncio side, which wakes no Trio task.
        while not self._ran.is_set():  # noqa: ASYNC110
            await trio.sleep(0.002)

    async def _run(self) -> None:
        async with self._storage.pool.acquire() as connection, connection.transaction():
            self.result.append(await self._statements(connection))
            self._ran.set()
            await self._gate.wait()

    async def commit(self) -> None:
        async def open_gate() -> None:
            self._gate.set()

        await self._storage._bridge.run(open_gate)


async def _blocked_on_a_lock(storage: PostgresStorage) -> bool:
    rows = await seed.fetch(
        storage,
        "SELECT 1 FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return bool(rows)


async def _race(
    storage: PostgresStorage,
    first: Callable[[Connection], Awaitable[Any]],
    second: Callable[[], Awaitable[Any]],
) -> tuple[Any, Any]:
    """Run ``first``'s statements, start ``second`` while they are uncommitted, wait until
    ``second`` waits on a lock (or is done), then commit: both outcomes (an exception
    raised by ``second`` is its outcome)."""
    held = HeldTransaction(storage, first)
    outcome: list[Any] = []

    async def run_second() -> None:
        try:
            outcome.append(await second())
        except Exception as error:
            outcome.append(error)

    with trio.fail_after(WAIT_SECONDS):
        async with trio.open_nursery() as nursery:
            await held.start(nursery)
            nursery.start_soon(run_second)
            while not outcome and not await _blocked_on_a_lock(storage):  # noqa: ASYNC110
                await trio.sleep(0.002)
            await held.commit()
    return held.result[0], outcome[0]


async def _members_of(storage: PostgresStorage, user: User) -> list[int]:
    rows = await seed.fetch(
        storage, "SELECT guild_id FROM members WHERE user_id = $1 ORDER BY guild_id", user.id
    )
    return [row["guild_id"] for row in rows]


async def _guild(storage: PostgresStorage, guild_id: Snowflake) -> Guild:
    guild = await storage.guilds.get_guild(guild_id)
    assert guild is not None
    return guild


def _unknown_user(outcome: object) -> bool:
    return isinstance(outcome, NotFound) and outcome.resource is Resource.USER


async def test_a_deletion_leaves_every_guild_and_ends_every_login_at_once(
    storage: PostgresStorage,
):
    owner, user = await make_user(storage), await make_user(storage)
    guilds = sorted([await seed.guild(storage, owner), await seed.guild(storage, owner)])
    role = await seed.role(storage, guilds[0], DEFAULT_EVERYONE)
    await seed.member(storage, guilds[0], user, [role])
    await seed.member(storage, guilds[1], user)
    family = await open_family(storage, user, "doomed")

    deletion = await storage.users.delete_account(user.id, DELETED)

    assert deletion == AccountDeletion(DeletionOutcome.DELETED, tuple(guilds))
    assert await _members_of(storage, user) == []
    assert await seed.fetch(storage, "SELECT 1 FROM member_roles WHERE user_id = $1", user.id) == []
    assert await storage.tokens.is_family_live(family.family_id, now()) is False


async def test_an_owner_is_refused_and_nothing_changes(storage: PostgresStorage):
    owner, other = await make_user(storage), await make_user(storage)
    owned = await seed.guild(storage, owner)
    joined = await seed.guild(storage, other)
    await seed.member(storage, joined, owner)
    family = await open_family(storage, owner, "kept")

    deletion = await storage.users.delete_account(owner.id, DELETED)

    assert deletion == AccountDeletion(DeletionOutcome.OWNS_GUILDS)
    assert await storage.users.get_account(owner.id) is not None
    assert await _members_of(storage, owner) == sorted([owned, joined])
    assert await storage.tokens.is_family_live(family.family_id, now()) is True


async def test_a_transfer_that_commits_first_refuses_the_deletion(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild_id = await seed.guild(storage, owner)
    await seed.member(storage, guild_id, user)

    async def transfer(connection: Connection) -> None:
        # The statements of PgGuildRepository.update_guild, giving the guild to ``user``.
        await connection.execute("UPDATE guilds SET owner_id = $2 WHERE id = $1", guild_id, user.id)
        await hold_live_account(connection, user.id)

    _, deletion = await _race(
        storage, transfer, lambda: storage.users.delete_account(user.id, DELETED)
    )

    assert deletion == AccountDeletion(DeletionOutcome.OWNS_GUILDS)
    assert (await _guild(storage, guild_id)).owner_id == user.id
    assert await storage.users.get_account(user.id) is not None


async def test_a_transfer_to_an_account_being_deleted_is_refused(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild_id = await seed.guild(storage, owner)
    await seed.member(storage, guild_id, user)
    guild = await _guild(storage, guild_id)

    deletion, transfer = await _race(
        storage,
        lambda connection: _delete_account(connection, user.id, DELETED),
        lambda: storage.guilds.update_guild(replace(guild, owner_id=user.id)),
    )

    assert deletion == AccountDeletion(DeletionOutcome.DELETED, (guild_id,))
    assert _unknown_user(transfer), transfer
    assert (await _guild(storage, guild_id)).owner_id == owner.id


@pytest.mark.parametrize("way", ["add_member", "accept_invite", "create_guild"])
async def test_an_account_being_deleted_joins_nothing(storage: PostgresStorage, way: str):
    owner, user = await make_user(storage), await make_user(storage)
    guild_id = await seed.guild(storage, owner)
    channel = Channel(seed.new_id(), ChannelType.GUILD_TEXT, guild_id=guild_id, name="general")
    await storage.channels.create_channel(channel)
    code = f"c{seed.new_id()}"[:10]
    await seed.execute(
        storage,
        "INSERT INTO invites (code, guild_id, channel_id, inviter_id, max_age)"
        " VALUES ($1, $2, $3, $4, 0)",
        code,
        guild_id,
        channel.id,
        owner.id,
    )
    new_guild = Guild(seed.new_id(), "new", user.id)

    async def attempt() -> object:
        moment = datetime.now(UTC)
        if way == "add_member":
            return await storage.members.add_member(guild_id, user.id, moment)
        if way == "accept_invite":
            return await storage.invites.accept_invite(code, user.id, moment)
        everyone = Role(new_guild.id, new_guild.id, "@everyone", DEFAULT_EVERYONE)
        return await storage.guilds.create_guild(new_guild, everyone, [], moment)

    deletion, joined = await _race(
        storage, lambda connection: _delete_account(connection, user.id, DELETED), attempt
    )

    assert deletion == AccountDeletion(DeletionOutcome.DELETED)
    assert _unknown_user(joined), joined
    assert await _members_of(storage, user) == []
    assert await storage.guilds.get_guild(new_guild.id) is None


async def test_a_join_that_commits_first_is_left_by_the_deletion(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild_id = await seed.guild(storage, owner)

    deletion = (
        await _race(
            storage,
            lambda connection: join(connection, guild_id, user.id, datetime.now(UTC)),
            lambda: storage.users.delete_account(user.id, DELETED),
        )
    )[1]

    assert deletion == AccountDeletion(DeletionOutcome.DELETED, (guild_id,))
    assert await _members_of(storage, user) == []
