"""Each announcement is acted on once per process: its auth caches forget what it names once,
then its gateway hears it, and only then.

A process that announces acts on its announcement itself, at once; what other processes
announce reaches it through `follow_other_processes`. (Over Redis: tests/integration.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing

from accord.adapters.crypto import JwtAccessTokens
from accord.adapters.memory.bus import InProcessEventBus
from accord.adapters.memory.invalidations import LocalInvalidations
from accord.adapters.memory.presence import InMemoryPresence
from accord.core.clock import SystemClock
from accord.core.entities import User
from accord.core.errors import InvalidToken
from accord.core.ports.invalidations import Kind
from accord.core.services.auth import AuthService
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from accord.gateway.hub import Hub, HubConfig
from tests.unit.fakes import FakePasswordHasher
from tests.unit.gateway_fakes import ClosingTransport, started_session
from tests.unit.storage_fakes import FakeStorage

USER = User(Snowflake(42), "alice")
PASSWORD = "correct horse"


class CountingAuth(AuthService):
    """An AuthService that notes each flush of its caches in `steps`."""

    steps: list[tuple[str, Kind, int]]

    def apply(self, kind: Kind, key: int) -> None:
        self.steps.append(("flush", kind, key))
        super().apply(kind, key)


class OtherProcesses:
    """Shared invalidations where the test announces as another process would."""

    def __init__(self) -> None:
        self.local = LocalInvalidations()
        self.mine: list[tuple[Kind, int]] = []

    async def announce(self, kind: Kind, key: int) -> None:
        self.mine.append((kind, key))  # to the others; never heard back here

    @asynccontextmanager
    async def listen(
        self, *, others_only: bool = False
    ) -> AsyncIterator[AsyncIterator[tuple[Kind, int]]]:
        assert others_only, "this process acted on its own announcements already"
        async with self.local.listen() as announced:
            yield announced


def process(shared: Any) -> tuple[CountingAuth, Hub, FakeStorage]:
    clock = SystemClock()
    storage = FakeStorage()
    auth = CountingAuth(
        storage,
        FakePasswordHasher(),
        JwtAccessTokens(b"k" * 32),
        SnowflakeGenerator(1, clock),
        clock,
        shared,
        applied=LocalInvalidations(),
    )
    auth.steps = []
    hub = Hub(storage, auth, InProcessEventBus(), InMemoryPresence(clock), HubConfig())
    original = hub.end_login

    async def end_login(kind: Kind, key: int) -> int:
        auth.steps.append(("gateway", kind, key))
        return await original(kind, key)

    hub.end_login = end_login  # type: ignore[method-assign]
    return auth, hub, storage


async def logged_in(auth: AuthService, storage: FakeStorage) -> str:
    await storage.users.create_account(USER, "alice@example.com", f"hashed:{PASSWORD}")
    tokens = await auth.login("alice@example.com", PASSWORD)
    return f"Bearer {tokens.access_token}"


async def test_a_logout_in_one_process_is_acted_on_once_and_ends_its_gateway_sessions() -> None:
    auth, hub, storage = process(LocalInvalidations())
    header = await logged_in(auth, storage)
    principal = await auth.authenticate(header)
    session = started_session("s", USER, transport=ClosingTransport())
    session.set_login(principal.login)
    hub.registry.add(session)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(auth.follow_other_processes)
            await nursery.start(hub.run)
            await trio.testing.wait_all_tasks_blocked()
            await auth.logout(principal)
            # Honoured at once: before the gateway has even heard of it.
            with pytest.raises(InvalidToken):
                await auth.authenticate(header)
            while not session.ended:  # noqa: ASYNC110
                await trio.sleep(0.01)
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()

    ending = ("session", principal.login)
    assert auth.steps == [("flush", *ending), ("gateway", *ending)]
    assert session.revoked


async def test_another_processs_ending_is_forgotten_here_once_before_the_gateway_hears_it() -> None:
    others = OtherProcesses()
    auth, hub, storage = process(others)
    header = await logged_in(auth, storage)
    await auth.authenticate(header)  # cached
    await storage.tokens.revoke_user_logins(USER.id)  # another process changed the password

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(auth.follow_other_processes)
            await nursery.start(hub.run)
            await trio.testing.wait_all_tasks_blocked()
            await others.local.announce("logins", USER.id)
            await others.local.announce("user", USER.id)
            while len(auth.steps) < 3:  # noqa: ASYNC110
                await trio.sleep(0.01)
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()

    assert auth.steps == [
        ("flush", "logins", USER.id),
        ("gateway", "logins", USER.id),
        ("flush", "user", USER.id),  # a profile change: the gateway has nothing to end
    ]
    assert others.mine == []  # nothing announced back
    with pytest.raises(InvalidToken):
        await auth.authenticate(header)
