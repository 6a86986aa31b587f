"""The in-process presence store: one status per user over all their sessions, and last-seen."""

from __future__ import annotations

import pytest

from accord.adapters.memory import presence as presence_module
from accord.adapters.memory.presence import InMemoryPresence, aggregate
from accord.core.clock import utc_from_ms
from accord.core.ports.presence import Status, StatusChange
from accord.core.snowflake import Snowflake
from tests.unit.fakes import FakeClock

ALICE, BOB = Snowflake(1), Snowflake(2)
T0 = 1_700_000_000_000


@pytest.mark.parametrize(
    ("statuses", "shown"),
    [
        ([], Status.OFFLINE),
        ([Status.INVISIBLE], Status.OFFLINE),
        ([Status.IDLE], Status.IDLE),
        ([Status.IDLE, Status.ONLINE], Status.ONLINE),
        ([Status.DND, Status.IDLE], Status.DND),
        ([Status.ONLINE, Status.DND], Status.ONLINE),
        ([Status.INVISIBLE, Status.IDLE], Status.IDLE),
    ],
)
def test_aggregate_shows_the_most_present_status(statuses: list[Status], shown: Status) -> None:
    assert aggregate(statuses) is shown


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def store(clock: FakeClock) -> InMemoryPresence:
    return InMemoryPresence(clock)


async def test_a_user_never_seen_is_offline(store: InMemoryPresence) -> None:
    state = (await store.get_statuses([ALICE]))[ALICE]
    assert (state.user_id, state.status, state.last_seen) == (ALICE, Status.OFFLINE, None)


async def test_statuses_aggregate_over_sessions(store: InMemoryPresence) -> None:
    offline, idle, online = Status.OFFLINE, Status.IDLE, Status.ONLINE
    assert await store.set_session_status(ALICE, "phone", idle) == StatusChange(offline, idle)
    assert await store.set_session_status(ALICE, "desktop", online) == StatusChange(idle, online)
    assert (await store.set_session_status(BOB, "desktop", Status.DND)).after is Status.DND
    statuses = await store.get_statuses([ALICE, BOB])
    assert {u: s.status for u, s in statuses.items()} == {ALICE: Status.ONLINE, BOB: Status.DND}
    assert await store.drop_session(ALICE, "desktop") == StatusChange(online, idle)
    assert (await store.get_statuses([ALICE]))[ALICE].status is Status.IDLE


async def test_a_session_changing_status_replaces_its_own(store: InMemoryPresence) -> None:
    await store.set_session_status(ALICE, "desktop", Status.ONLINE)
    assert (
        await store.set_session_status(ALICE, "desktop", Status.INVISIBLE)
    ).after is Status.OFFLINE


async def test_the_last_session_leaving_records_last_seen(
    store: InMemoryPresence, clock: FakeClock
) -> None:
    await store.set_session_status(ALICE, "a", Status.ONLINE)
    await store.set_session_status(ALICE, "b", Status.ONLINE)
    clock.advance(5_000)
    assert (await store.drop_session(ALICE, "a")).after is Status.ONLINE
    assert (await store.get_statuses([ALICE]))[ALICE].last_seen is None
    clock.advance(5_000)
    assert (await store.drop_session(ALICE, "b")).after is Status.OFFLINE
    state = (await store.get_statuses([ALICE]))[ALICE]
    assert state.status is Status.OFFLINE
    assert state.last_seen == utc_from_ms(T0 + 10_000)


async def test_dropping_an_unknown_session_changes_nothing(store: InMemoryPresence) -> None:
    await store.set_session_status(ALICE, "a", Status.DND)
    assert (await store.drop_session(ALICE, "other")).after is Status.DND


async def test_last_seen_is_bounded_forgetting_the_longest_ago(
    store: InMemoryPresence, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence_module, "MAX_LAST_SEEN", 3)
    users = [Snowflake(n) for n in range(10, 15)]
    for user in users[:3]:
        await store.set_session_status(user, "s", Status.ONLINE)
        clock.advance(1_000)
        await store.drop_session(user, "s")
    # The second user comes back and leaves again: now the most recently seen.
    await store.set_session_status(users[1], "s", Status.ONLINE)
    clock.advance(1_000)
    await store.drop_session(users[1], "s")
    for user in users[3:]:
        await store.set_session_status(user, "s", Status.ONLINE)
        clock.advance(1_000)
        await store.drop_session(user, "s")
    seen = await store.get_statuses(users)
    assert [u for u in users if seen[u].last_seen is not None] == [users[1], users[3], users[4]]
