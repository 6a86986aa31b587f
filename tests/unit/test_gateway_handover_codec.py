"""A session survives being written for another gateway and read back."""

from __future__ import annotations

import pytest

from accord.core.entities import User
from accord.core.ports.presence import Status
from accord.core.snowflake import Snowflake
from accord.gateway.frames import prepare_dispatch
from accord.gateway.handover_codec import decode_session, encode_session
from accord.gateway.protocol import Intents
from accord.gateway.replay import ReplayBuffer, ReplayPruned
from accord.gateway.session import Session


def session_with(frames: int, max_frames: int = 2048) -> Session:
    session = Session(
        id="abc",
        user=User(Snowflake(42), "alice"),
        intents=Intents.GUILDS | Intents.GUILD_MESSAGES,
        large_threshold=100,
        status=Status.IDLE,
        buffer=ReplayBuffer(max_frames=max_frames),
        early=None,
    )
    for guild_id in (Snowflake(7), Snowflake(8)):
        session.subscribe(guild_id)
    for n in range(frames):
        session.dispatch(prepare_dispatch("MESSAGE_CREATE", {"id": str(n), "content": "é"}))
    return session


def test_the_buffer_and_identity_travel_whole() -> None:
    original = session_with(5)
    handed = decode_session(encode_session(original, {"s0": "1-0"}))
    assert (handed.session_id, handed.user_id, handed.application_id) == ("abc", 42, None)
    assert handed.intents == original.intents and handed.status is Status.IDLE
    assert handed.large_threshold == 100 and set(handed.guild_ids) == {7, 8}
    assert handed.position == {"s0": "1-0"}
    assert handed.buffer.last_seq == 5
    assert handed.buffer.since(2) == original.buffer.since(2)
    assert handed.buffer.since(0) == original.buffer.since(0)


def test_a_pruned_buffer_stays_pruned_and_numbering_continues() -> None:
    original = session_with(10, max_frames=4)
    handed = decode_session(encode_session(original, {}))
    assert handed.buffer.first_seq == 7 and handed.buffer.last_seq == 10
    with pytest.raises(ReplayPruned):
        handed.buffer.since(3)
    assert handed.buffer.append(prepare_dispatch("TYPING_START", {})).startswith(
        b'{"op":0,"t":"TYPING_START","s":11,'
    )


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"format": 99}', b"[1]", b"\xff"])
def test_anything_else_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        decode_session(raw)
