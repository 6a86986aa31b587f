"""Adopting a handed-over session: all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import trio

from accord.core.entities import Member, User
from accord.core.ports.handoff import Handoff
from accord.core.snowflake import Snowflake
from accord.gateway import handover as handover_module
from accord.gateway.fanout import FanOut
from accord.gateway.handover import CATCH_UP_TIMEOUT_S, Handover
from accord.gateway.handover_codec import encode_session
from accord.gateway.protocol import ALL_INTENTS
from accord.gateway.registry import SessionRegistry
from accord.gateway.session import Session
from tests.unit.gateway_fakes import (
    GUILD,
    MEMBER,
    MEMBERS,
    FakeMembers,
    FakeStorage,
    message,
    snapshot,
    started_session,
    transport_of,
)


class StalledMembers(FakeMembers):
    async def get_members(self, guild_id: Snowflake, user_ids: Sequence[Snowflake]) -> list[Member]:
        await trio.sleep_forever()  # a database that hangs
        raise AssertionError


class StalledStorage(FakeStorage):
    """Storage that finds the user but whose member reads never answer."""

    def __init__(self) -> None:
        super().__init__()
        self.members = StalledMembers(MEMBERS)
        self.guilds.snapshots[GUILD] = snapshot()
        self.users = self

    async def get_user(self, user_id: Snowflake) -> User | None:
        return MEMBER if user_id == MEMBER.id else None


class Handoffs:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    async def put(self, session_id: str, state: bytes, ttl_s: float) -> None:
        self.stored[session_id] = state

    async def put_many(self, handoffs: Sequence[Handoff]) -> None:
        for session_id, state, _ in handoffs:
            self.stored[session_id] = state

    async def take(self, session_id: str) -> bytes | None:
        return self.stored.pop(session_id, None)


class ReplayingBus:
    """A bus whose history holds one event after the handed-over position."""

    async def replay(self, since: Any, until: Any) -> list[Any]:
        return [message(1)] if since == {"s": "1-0"} else []


async def test_an_adoption_cut_short_leaves_nothing_registered_and_the_handoff_kept(
    autojump_clock: trio.abc.Clock,
) -> None:
    storage = StalledStorage()
    registry = SessionRegistry(300.0, trio.current_time)
    fanout = FanOut(registry, storage)  # type: ignore[arg-type]
    fanout.position = {"s": "2-0"}
    handoffs = Handoffs()
    handover = Handover(registry, fanout, ReplayingBus(), storage, handoffs)  # type: ignore[arg-type]
    old = Session(id="s1", user=MEMBER, intents=ALL_INTENTS, early=None)
    old.subscribe(GUILD)
    handoffs.stored["s1"] = encode_session(old, {"s": "1-0"})

    with trio.fail_after(CATCH_UP_TIMEOUT_S * 2):
        adopted = await handover.adopt("s1", MEMBER.id)

    assert adopted is None
    # Not left half caught up, where a second RESUME would find it short of message 1.
    assert registry.get("s1") is None
    assert "s1" in handoffs.stored


async def test_sessions_still_identifying_are_not_handed_over() -> None:
    registry = SessionRegistry(300.0, trio.current_time)
    fanout = FanOut(registry, FakeStorage())  # type: ignore[arg-type]
    fanout.position = {"s": "1-0"}
    handoffs = Handoffs()
    handover = Handover(registry, fanout, ReplayingBus(), FakeStorage(), handoffs)  # type: ignore[arg-type]
    ready = started_session("ready", MEMBER)
    loading = started_session("loading", MEMBER)  # READY sent, a GUILD_CREATE not yet
    early = Session(id="early", user=MEMBER, intents=ALL_INTENTS)  # READY not yet sent
    for session in (ready, loading, early):
        registry.add(session)
        registry.subscribe(session, GUILD, loading=session is loading)
    assert loading.hold(GUILD, message(1))

    assert await handover.hand_over(trio.CancelScope()) == 1

    assert set(handoffs.stored) == {"ready"}


class FailingHandoffs(Handoffs):
    """Handoffs whose `fail_at`-th write (counting from 1) fails; records each write's size."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.writes: list[int] = []
        self.fail_at = fail_at

    async def put_many(self, handoffs: Sequence[Handoff]) -> None:
        self.writes.append(len(handoffs))
        if len(self.writes) == self.fail_at:
            raise ConnectionError("store unreachable")
        await super().put_many(handoffs)


def _ready_world(handoffs: Handoffs, count: int) -> tuple[Handover, list[Session]]:
    registry = SessionRegistry(300.0, trio.current_time)
    fanout = FanOut(registry, FakeStorage())  # type: ignore[arg-type]
    fanout.position = {"s": "1-0"}
    handover = Handover(registry, fanout, ReplayingBus(), FakeStorage(), handoffs)  # type: ignore[arg-type]
    sessions = [started_session(f"s{n}", MEMBER) for n in range(count)]
    for session in sessions:
        registry.add(session)
    return handover, sessions


def _two_sessions_a_chunk(monkeypatch: pytest.MonkeyPatch, sessions: list[Session]) -> None:
    # The sessions encode to the same size: a chunk is written once it holds two.
    size = len(encode_session(sessions[0], {"s": "1-0"}))
    assert all(len(encode_session(s, {"s": "1-0"})) == size for s in sessions)
    monkeypatch.setattr(handover_module, "CHUNK_BYTES", size + 1)


def _told_to_reconnect(session: Session) -> bool:
    return any(p["op"] == 7 for p in transport_of(session).payloads)


async def test_a_hand_over_writes_as_it_goes_in_bounded_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handoffs = FailingHandoffs()
    handover, sessions = _ready_world(handoffs, 5)
    _two_sessions_a_chunk(monkeypatch, sessions)
    assert await handover.hand_over(trio.CancelScope()) == 5
    assert handoffs.writes == [2, 2, 1]
    assert set(handoffs.stored) == {s.id for s in sessions}
    assert all(_told_to_reconnect(s) for s in sessions)


async def test_sessions_stored_before_a_failed_write_are_still_told_to_reconnect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handoffs = FailingHandoffs(fail_at=2)
    handover, sessions = _ready_world(handoffs, 5)
    _two_sessions_a_chunk(monkeypatch, sessions)
    with pytest.raises(ConnectionError):
        await handover.hand_over(trio.CancelScope())
    assert set(handoffs.stored) == {"s0", "s1"}
    assert [_told_to_reconnect(s) for s in sessions] == [True, True, False, False, False]
