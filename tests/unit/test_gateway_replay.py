"""The replay buffer returns exactly the frames after a sequence number, or says why it cannot."""

from __future__ import annotations

import json

import pytest

from accord.gateway.frames import prepare_dispatch
from accord.gateway.replay import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FRAMES,
    InvalidSequence,
    ReplayBuffer,
    ReplayPruned,
)


def fill(buffer: ReplayBuffer, count: int, content: str = "") -> list[bytes]:
    return [
        buffer.append(prepare_dispatch("MESSAGE_CREATE", {"n": n, "c": content}))
        for n in range(1, count + 1)
    ]


def seqs(frames: list[bytes]) -> list[int]:
    return [json.loads(frame)["s"] for frame in frames]


def test_defaults_bound_count_and_bytes() -> None:
    assert DEFAULT_MAX_FRAMES == 2048
    assert DEFAULT_MAX_BYTES == 4 * 1024 * 1024


def test_sequence_numbers_start_at_one_and_are_consecutive() -> None:
    buffer = ReplayBuffer()
    sent = fill(buffer, 5)
    assert seqs(sent) == [1, 2, 3, 4, 5]
    assert [json.loads(f)["d"]["n"] for f in sent] == [1, 2, 3, 4, 5]
    assert buffer.last_seq == 5


def test_replay_is_exactly_the_frames_after_seq_byte_for_byte() -> None:
    buffer = ReplayBuffer()
    sent = fill(buffer, 10)
    for seq in range(11):
        assert buffer.since(seq) == sent[seq:]


def test_empty_buffer() -> None:
    buffer = ReplayBuffer()
    assert buffer.last_seq == 0
    assert buffer.since(0) == []
    with pytest.raises(InvalidSequence):
        buffer.since(1)


def test_seq_equal_to_last_replays_nothing() -> None:
    buffer = ReplayBuffer()
    fill(buffer, 3)
    assert buffer.since(3) == []


@pytest.mark.parametrize("seq", [4, 100, -1])
def test_seq_ahead_or_negative_is_invalid(seq: int) -> None:
    buffer = ReplayBuffer()
    fill(buffer, 3)
    with pytest.raises(InvalidSequence):
        buffer.since(seq)


def test_eviction_by_count_keeps_the_newest_and_stays_exact() -> None:
    buffer = ReplayBuffer(max_frames=4)
    sent = fill(buffer, 10)
    assert buffer.first_seq == 7
    assert seqs(buffer.since(6)) == [7, 8, 9, 10]  # oldest kept - 1: still replayable
    assert buffer.since(6) == sent[6:]
    assert buffer.since(8) == sent[8:]
    with pytest.raises(ReplayPruned):
        buffer.since(5)  # oldest kept - 2: frame 6 is gone
    with pytest.raises(ReplayPruned):
        buffer.since(0)


def test_eviction_by_bytes_keeps_the_newest_and_stays_exact() -> None:
    probe = prepare_dispatch("MESSAGE_CREATE", {"n": 1, "c": "x" * 100})
    # Room for three entries of this size, not four.
    buffer = ReplayBuffer(max_frames=1000, max_bytes=probe.size * 3 + probe.size // 2)
    sent = fill(buffer, 9, "x" * 100)
    assert buffer.first_seq == 7
    assert buffer.since(6) == sent[6:]
    with pytest.raises(ReplayPruned):
        buffer.since(5)


def test_an_entry_over_the_byte_bound_is_not_kept() -> None:
    buffer = ReplayBuffer(max_bytes=100)
    frame = buffer.append(prepare_dispatch("GUILD_CREATE", {"big": "x" * 200}))
    assert json.loads(frame)["s"] == 1  # still sent live, with its sequence number
    assert buffer.since(1) == []
    with pytest.raises(ReplayPruned):
        buffer.since(0)
    nxt = buffer.append(prepare_dispatch("MESSAGE_CREATE", {}))
    assert buffer.since(1) == [nxt]


def test_seq_zero_with_nothing_evicted_replays_everything() -> None:
    buffer = ReplayBuffer(max_frames=4)
    sent = fill(buffer, 4)
    assert buffer.since(0) == sent
    buffer.append(prepare_dispatch("MESSAGE_CREATE", {}))
    with pytest.raises(ReplayPruned):
        buffer.since(0)


@pytest.mark.parametrize(("frames", "size"), [(0, 1), (1, 0)])
def test_bounds_must_be_positive(frames: int, size: int) -> None:
    with pytest.raises(ValueError):
        ReplayBuffer(max_frames=frames, max_bytes=size)


def test_acknowledged_dispatches_are_forgotten_and_resume_goes_on_from_there():
    buffer = ReplayBuffer()
    for n in range(5):
        buffer.append(prepare_dispatch("MESSAGE_CREATE", {"n": n}))
    buffer.acknowledge(3)
    assert buffer.first_seq == 4 and buffer.last_seq == 5
    assert [b'"s":4,' in f for f in buffer.since(3)] == [True, False]
    with pytest.raises(ReplayPruned):
        buffer.since(2)
    for bogus in (0, -1, 6, 99):
        buffer.acknowledge(bogus)  # ignored: nothing a client could have seen
    assert buffer.first_seq == 4
    buffer.acknowledge(5)
    assert buffer.since(5) == [] and buffer.append(prepare_dispatch("X", {})).count(b'"s":6,') == 1
