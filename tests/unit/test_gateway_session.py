"""A session numbers and keeps every dispatch, sends READY first, and survives a dead socket."""

from __future__ import annotations

import json

import pytest

from accord.core.events import Event
from accord.gateway.frames import HEARTBEAT_ACK, prepare_dispatch
from accord.gateway.protocol import Intents
from accord.gateway.session import MAX_HELD_EVENTS, HeldOverflow, Session
from tests.unit.gateway_fakes import (
    GUILD,
    MEMBER,
    ClosingTransport,
    FakeTransport,
    message,
    started_session,
    transport_of,
)


def test_ready_is_first_and_what_came_before_it_follows_in_order() -> None:
    transport = FakeTransport()
    session = Session(id="s", user=MEMBER, intents=Intents.GUILDS)
    session.attach(transport)  # type: ignore[arg-type]
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 1}))
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 2}))
    assert transport.sent == []
    assert session.buffer.last_seq == 0  # not numbered until sent after READY
    session.start(prepare_dispatch("READY", {"v": 10}))
    sent = transport.payloads
    assert [(p["t"], p["s"]) for p in sent] == [
        ("READY", 1),
        ("MESSAGE_CREATE", 2),
        ("MESSAGE_CREATE", 3),
    ]
    assert [p["d"]["n"] for p in sent[1:]] == [1, 2]
    assert session.early is None
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 3}))
    assert transport.payloads[-1]["s"] == 4


def test_too_many_dispatches_before_ready_overflow() -> None:
    session = Session(id="s", user=MEMBER, intents=Intents.GUILDS)
    for n in range(MAX_HELD_EVENTS):
        session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": n}))
    with pytest.raises(HeldOverflow):
        session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": -1}))


def test_hold_keeps_events_only_for_a_loading_guild() -> None:
    session = started_session("s", MEMBER)
    event = message(1)
    assert not session.hold(GUILD, event)
    session.subscribe(GUILD, loading=True)
    assert session.hold(GUILD, event)
    assert session.hold(GUILD, message(2))
    assert [e.data["id"] for e in session.loading[GUILD]] == ["1001", "1002"]


def test_holding_past_the_bound_overflows() -> None:
    session = started_session("s", MEMBER)
    session.subscribe(GUILD, loading=True)
    event = Event("TYPING_START", {}, guild_id=GUILD)
    for _ in range(MAX_HELD_EVENTS):
        session.hold(GUILD, event)
    with pytest.raises(HeldOverflow):
        session.hold(GUILD, event)


def test_a_detached_session_keeps_numbering_for_the_resume() -> None:
    session = started_session("s", MEMBER)
    session.detach(0.0)
    for n in range(1, 4):
        session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": n}))
    replay = [json.loads(f) for f in session.buffer.since(1)]
    assert [(f["s"], f["d"]["n"]) for f in replay] == [(2, 1), (3, 2), (4, 3)]


def test_a_refused_send_detaches_but_keeps_the_dispatch() -> None:
    transport = FakeTransport(capacity=2)  # READY and one more
    session = started_session("s", MEMBER, transport=transport)
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 1}))
    assert session.transport is transport
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 2}))
    assert session.transport is None
    assert transport.aborted
    assert [json.loads(f)["d"]["n"] for f in session.buffer.since(2)] == [2]
    session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 3}))  # still kept, no error
    assert session.buffer.last_seq == 4
    assert len(transport.sent) == 2


def test_send_raw_is_sent_as_is_and_never_numbered() -> None:
    transport = FakeTransport()
    session = started_session("s", MEMBER, transport=transport)
    session.send_raw(HEARTBEAT_ACK)
    assert transport.sent[-1] == HEARTBEAT_ACK
    assert session.buffer.last_seq == 1  # READY only
    transport.capacity = len(transport.sent)
    session.send_raw(HEARTBEAT_ACK)
    assert session.transport is None
    assert transport.aborted
    session.send_raw(HEARTBEAT_ACK)  # detached: dropped quietly


def test_attaching_drops_the_connection_it_had_and_ends_the_detachment() -> None:
    old, new = FakeTransport(), FakeTransport()
    session = started_session("s", MEMBER, transport=old)
    session.detach(5.0)
    assert session.detached_at == 5.0 and old.aborted
    session.attach(new)  # type: ignore[arg-type]
    assert session.transport is new and session.detached_at is None
    newer = FakeTransport()
    session.attach(newer)  # type: ignore[arg-type]  # a RESUME while still connected
    assert new.aborted and session.transport is newer and not newer.aborted


def test_ending_drops_the_connection_and_revoking_closes_it_with_4004() -> None:
    ended, revoked = started_session("a", MEMBER), started_session("b", MEMBER)
    dropped, closing = transport_of(ended), ClosingTransport()
    revoked.attach(closing)  # type: ignore[arg-type]
    ended.end()
    revoked.revoke("its login ended")
    assert ended.ended and not ended.revoked and ended.transport is None and dropped.aborted
    assert revoked.ended and revoked.revoked and revoked.transport is None
    assert closing.closed_with == (4004, "its login ended") and not closing.aborted
    revoked.dispatch(prepare_dispatch("MESSAGE_CREATE", {"n": 1}))  # kept, sent nowhere
    assert closing.sent == []


def test_a_guild_subscribed_while_loading_holds_its_events_until_loaded() -> None:
    session = started_session("s", MEMBER)
    session.subscribe(GUILD, loading=True)
    assert session.hold(GUILD, message(1))
    assert [e.data["id"] for e in session.loaded(GUILD)] == ["1001"]
    assert GUILD in session.guild_ids and not session.hold(GUILD, message(2))
    session.subscribe(GUILD, loading=True)
    session.unsubscribe(GUILD)
    assert GUILD not in session.guild_ids and session.loaded(GUILD) == []
