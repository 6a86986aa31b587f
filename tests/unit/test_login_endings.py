"""A login that ends ends its gateway sessions: the registry's login index, the in-process
announcements, and the gateway closing the matching connections with 4004."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio
import trio.testing

from accord.adapters.memory.bus import InProcessEventBus
from accord.adapters.memory.invalidations import LocalInvalidations
from accord.adapters.memory.presence import InMemoryPresence
from accord.core.clock import SystemClock
from accord.core.ports.invalidations import Kind
from accord.core.snowflake import Snowflake
from accord.gateway.hub import Hub, HubConfig
from accord.gateway.protocol import CloseCode
from accord.gateway.registry import SessionRegistry
from accord.gateway.session import Session
from tests.unit.gateway_fakes import BOT, MEMBER, OWNER, ClosingTransport, started_session

LOGIN_A, LOGIN_B, APPLICATION = Snowflake(7001), Snowflake(7002), Snowflake(7003)


def session_of(session_id: str, user: Any, login: Snowflake) -> Session:
    session = started_session(session_id, user, transport=ClosingTransport())
    session.set_login(login)
    return session


def closed(session: Session, transport: Any) -> bool:
    return (
        isinstance(transport, ClosingTransport)
        and transport.closed_with is not None
        and transport.closed_with[0] == CloseCode.AUTHENTICATION_FAILED
    )


def test_the_registry_finds_sessions_by_login_until_they_end() -> None:
    registry = SessionRegistry(300.0, trio.current_time)
    a, b = session_of("a", MEMBER, LOGIN_A), session_of("b", MEMBER, LOGIN_B)
    handed_over = Session(id="c", user=MEMBER, intents=a.intents)  # login unknown until RESUME
    for session in (a, b, handed_over):
        registry.add(session)

    assert registry.sessions_of_login(LOGIN_A) == [a]
    registry.set_login(handed_over, LOGIN_A)
    assert set(registry.sessions_of_login(LOGIN_A)) == {a, handed_over}
    registry.set_login(b, LOGIN_A)  # resumed with another login's token
    assert registry.sessions_of_login(LOGIN_B) == []
    for session in (a, b, handed_over):
        registry.end(session)
    assert registry.sessions_of_login(LOGIN_A) == [] == registry.sessions_of_login(LOGIN_B)


async def test_local_announcements_reach_every_listener_of_this_process() -> None:
    invalidations = LocalInvalidations()
    await invalidations.announce("session", 1)  # nobody listening: nothing kept
    heard: list[list[tuple[Kind, int]]] = [[], []]

    async def listen(into: list[tuple[Kind, int]], ready: trio.Event) -> None:
        async with invalidations.listen() as announced:
            ready.set()
            async for item in announced:
                into.append(item)
                if len(into) == 2:
                    return

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            for into in heard:
                ready = trio.Event()
                nursery.start_soon(listen, into, ready)
                await ready.wait()
            await invalidations.announce("logins", 2)
            await invalidations.announce("bot_token", 3)
    assert heard == [[("logins", 2), ("bot_token", 3)]] * 2
    await invalidations.announce("user", 4)  # listeners gone: announcing still works


@dataclass
class FakeAuth:
    """What the gateway asks of the auth service when logins end: the announcements it has
    acted on (`applied`); `flushed` records any cache flush asked of it."""

    applied: LocalInvalidations = field(default_factory=LocalInvalidations)
    flushed: list[tuple[Kind, int]] = field(default_factory=list)

    def apply(self, kind: Kind, key: int) -> None:
        self.flushed.append((kind, key))


def make_hub(auth: FakeAuth | None = None) -> Hub:
    storage: Any = None  # ending sessions reads nothing from storage
    return Hub(
        storage,
        auth or FakeAuth(),
        InProcessEventBus(),
        InMemoryPresence(SystemClock()),
        HubConfig(),
    )


async def test_a_session_ending_closes_that_logins_connections_only() -> None:
    hub = make_hub()
    mine, other_login, someone = (
        session_of("a", MEMBER, LOGIN_A),
        session_of("b", MEMBER, LOGIN_B),
        session_of("c", OWNER, Snowflake(7009)),
    )
    transports = {s.id: s.transport for s in (mine, other_login, someone)}
    for session in (mine, other_login, someone):
        hub.registry.add(session)

    assert await hub.end_login("session", LOGIN_A) == 1

    assert mine.ended and mine.revoked and hub.registry.get("a") is None
    assert closed(mine, transports["a"]) and not transports["a"].aborted
    for session in (other_login, someone):
        assert not session.ended and not closed(session, transports[session.id])


async def test_an_end_of_all_logins_closes_every_session_of_that_user() -> None:
    hub = make_hub()
    sessions = [session_of("a", MEMBER, LOGIN_A), session_of("b", MEMBER, LOGIN_B)]
    owner = session_of("c", OWNER, Snowflake(7009))
    for session in [*sessions, owner]:
        hub.registry.add(session)
    detached = sessions[1]
    hub.registry.detach(detached)  # waiting for a RESUME: ended, nothing to close

    assert await hub.end_login("logins", MEMBER.id) == 2
    assert all(s.ended for s in sessions) and not owner.ended


async def test_a_bot_token_reset_closes_the_bots_sessions() -> None:
    hub = make_hub()
    bot = session_of("a", BOT, APPLICATION)
    hub.registry.add(bot)
    transport = bot.transport

    assert await hub.end_login("bot_token", APPLICATION) == 1
    assert closed(bot, transport)


async def test_the_gateway_follows_announced_endings_and_ignores_profile_changes() -> None:
    auth = FakeAuth()
    hub = make_hub(auth)
    renamed_bot, ended = session_of("a", BOT, APPLICATION), session_of("b", MEMBER, LOGIN_A)
    for session in (renamed_bot, ended):
        hub.registry.add(session)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(hub.run)
            await trio.testing.wait_all_tasks_blocked()
            await auth.applied.announce("application", APPLICATION)
            await auth.applied.announce("user", MEMBER.id)
            await auth.applied.announce("session", LOGIN_A)
            while not ended.ended:  # noqa: ASYNC110
                await trio.sleep(0.01)
            nursery.cancel_scope.cancel()

    assert not renamed_bot.ended
    # The auth service flushed its caches before passing the ending on; the
    # gateway does not flush them again.
    assert auth.flushed == []
