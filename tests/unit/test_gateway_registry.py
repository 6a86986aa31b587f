"""The session registry: its indexes, its bounds, and when detached sessions are forgotten."""

from __future__ import annotations

import pytest
import trio

from accord.gateway.guild_view import GuildView
from accord.gateway.registry import REAP_INTERVAL_S, SessionRegistry, TooManySessions
from accord.gateway.session import Session
from tests.unit.gateway_fakes import (
    GUILD,
    MEMBER,
    MEMBERS,
    MODERATOR,
    OWNER,
    FakeTransport,
    snapshot,
    started_session,
    transport_of,
)

WINDOW = 300.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> SessionRegistry:
    return SessionRegistry(WINDOW, clock)


def test_sessions_are_found_by_id_user_and_guild(registry: SessionRegistry) -> None:
    a, b, c = (
        started_session("a", MEMBER),
        started_session("b", MEMBER),
        started_session("c", OWNER),
    )
    for session in (a, b, c):
        registry.add(session)
    registry.subscribe(a, GUILD)
    registry.subscribe(c, GUILD)
    assert registry.get("b") is b
    assert registry.get("nope") is None
    assert len(registry) == 3
    assert set(registry) == {a, b, c}
    assert set(registry.sessions_of_user(MEMBER.id)) == {a, b}
    assert registry.has_sessions(MEMBER.id) and not registry.has_sessions(MODERATOR.id)
    assert set(registry.subscribers(GUILD)) == {a, c}
    assert a.guild_ids == {GUILD}
    assert sorted(s.id for s in registry.sessions_of(frozenset({MEMBER.id, OWNER.id}))) == [
        "a",
        "b",
        "c",
    ]
    assert registry.sessions_of(frozenset({MODERATOR.id})) == []


def test_the_process_bound_refuses_one_more(clock: Clock) -> None:
    registry = SessionRegistry(WINDOW, clock, max_sessions=2)
    registry.add(started_session("a", MEMBER))
    registry.add(started_session("b", OWNER))
    with pytest.raises(TooManySessions):
        registry.add(started_session("c", MODERATOR))
    assert len(registry) == 2
    assert not registry.has_sessions(MODERATOR.id)
    registry.end(registry.get("a"))  # type: ignore[arg-type]
    registry.add(started_session("c", MODERATOR))  # room again
    assert registry.get("c") is not None


def test_the_per_user_bound_refuses_only_that_user(clock: Clock) -> None:
    registry = SessionRegistry(WINDOW, clock, max_per_user=2)
    registry.add(started_session("a", MEMBER))
    registry.add(started_session("b", MEMBER))
    with pytest.raises(TooManySessions):
        registry.add(started_session("c", MEMBER))
    registry.add(started_session("d", OWNER))
    assert registry.get("c") is None
    assert len(registry.sessions_of_user(MEMBER.id)) == 2
    assert len(registry) == 3


def test_a_refused_first_session_leaves_no_empty_index(clock: Clock) -> None:
    registry = SessionRegistry(WINDOW, clock, max_per_user=0)
    with pytest.raises(TooManySessions):
        registry.add(started_session("a", MEMBER))
    assert not registry.has_sessions(MEMBER.id)
    assert len(registry) == 0


def test_the_guild_view_is_kept_while_someone_is_subscribed(registry: SessionRegistry) -> None:
    a, b = started_session("a", MEMBER), started_session("b", OWNER)
    for session in (a, b):
        registry.add(session)
        registry.subscribe(session, GUILD, loading=session is a)
    view = GuildView.from_snapshot(snapshot(), MEMBERS)
    registry.set_view(GUILD, view)
    registry.unsubscribe(a, GUILD)
    assert GUILD not in a.guild_ids and GUILD not in a.loading
    assert registry.view(GUILD) is view
    registry.unsubscribe(b, GUILD)
    assert registry.subscribers(GUILD) == []
    assert registry.view(GUILD) is None
    registry.unsubscribe(b, GUILD)  # twice is harmless


def test_detach_closes_the_connection_and_starts_the_window(
    registry: SessionRegistry, clock: Clock
) -> None:
    session = started_session("a", MEMBER)
    transport = transport_of(session)
    registry.add(session)
    registry.detach(session)
    assert session.transport is None
    assert transport.aborted
    assert session.detached_at == clock.now
    assert registry.get("a") is session  # still resumable


def test_detached_sessions_expire_when_their_window_ends(
    registry: SessionRegistry, clock: Clock
) -> None:
    connected = started_session("connected", MEMBER)
    early, late = started_session("early", MEMBER), started_session("late", OWNER)
    for session in (connected, early, late):
        registry.add(session)
    registry.detach(early)
    clock.now += 100
    registry.detach(late)
    clock.now += WINDOW - 100 - 0.001
    assert registry.expired() == []
    clock.now += 0.001
    assert registry.expired() == [early]
    clock.now += 100
    assert set(registry.expired()) == {early, late}
    clock.now += 10 * WINDOW
    assert connected not in registry.expired()


def test_a_resumed_session_does_not_expire(registry: SessionRegistry, clock: Clock) -> None:
    session = started_session("a", MEMBER)
    registry.add(session)
    registry.detach(session)
    session.attach(FakeTransport())  # type: ignore[arg-type]  # what a RESUME does
    clock.now += 2 * WINDOW
    assert registry.expired() == []


def test_end_forgets_a_session_everywhere(registry: SessionRegistry) -> None:
    ending, other = started_session("a", MEMBER), started_session("b", OWNER)
    transport = transport_of(ending)
    for session in (ending, other):
        registry.add(session)
        registry.subscribe(session, GUILD)
    registry.end(ending)
    assert ending.ended
    assert transport.aborted and ending.transport is None
    assert registry.get("a") is None
    assert not registry.has_sessions(MEMBER.id)
    assert registry.subscribers(GUILD) == [other]
    assert ending.guild_ids == set()
    registry.end(ending)  # twice is harmless
    assert len(registry) == 1


def test_ending_one_of_a_users_sessions_keeps_the_others(registry: SessionRegistry) -> None:
    a, b = started_session("a", MEMBER), started_session("b", MEMBER)
    registry.add(a)
    registry.add(b)
    registry.end(a)
    assert registry.sessions_of_user(MEMBER.id) == [b]


async def test_the_reaper_ends_sessions_after_their_window(autojump_clock: trio.abc.Clock) -> None:
    registry = SessionRegistry(WINDOW, trio.current_time)
    session = started_session("a", MEMBER)
    registry.add(session)
    registry.detach(session)
    detached_at = trio.current_time()
    reaped: list[tuple[Session, float]] = []
    first = trio.Event()

    async def on_expired(expired: Session) -> None:
        reaped.append((expired, trio.current_time()))
        registry.end(expired)
        first.set()

    with trio.fail_after(WINDOW * 3):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(registry.wait_reaped, on_expired)
            await first.wait()
            await trio.sleep(WINDOW)  # and it is reaped only once
            nursery.cancel_scope.cancel()
    [(expired, at)] = reaped
    assert expired is session
    assert detached_at + WINDOW <= at <= detached_at + WINDOW + REAP_INTERVAL_S
    assert len(registry) == 0
