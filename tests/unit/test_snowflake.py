"""Snowflake layout, parsing and generation (Discord's epoch and 42/10/12 bit split)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from accord.core.errors import ValidationError
from accord.core.snowflake import (
    DISCORD_EPOCH_MS,
    MAX_SEQUENCE,
    MAX_SNOWFLAKE,
    MAX_WORKER_ID,
    SnowflakeGenerator,
    parse_snowflake,
    snowflake_at,
    snowflake_datetime,
    snowflake_sequence,
    snowflake_timestamp_ms,
    snowflake_worker,
)
from tests.unit.fakes import FakeClock

# Discord's documented example id. Its 2016-04-30T11:18:25.796Z timestamp,
# internal worker 1, internal process 0 and increment 7 pack as
# ((1462015105796 - 1420070400000) << 22) | ((1 << 5 | 0) << 12) | 7.
DISCORD_EXAMPLE_ID = 175928847299117063
DISCORD_EXAMPLE_MS = 1_462_015_105_796

NOW_MS = 1_700_000_000_000  # 2023-11-14, an arbitrary wall time after the epoch


def test_epoch_is_discords():
    assert datetime.fromtimestamp(DISCORD_EPOCH_MS / 1000, tz=UTC) == datetime(
        2015, 1, 1, tzinfo=UTC
    )


def test_layout_matches_a_discord_id_computed_by_hand():
    by_hand = (41_944_705_796 << 22) | (32 << 12) | 7
    assert DISCORD_EXAMPLE_MS - DISCORD_EPOCH_MS == 41_944_705_796
    assert by_hand == DISCORD_EXAMPLE_ID


def test_fields_of_a_discord_id():
    assert snowflake_timestamp_ms(DISCORD_EXAMPLE_ID) == DISCORD_EXAMPLE_MS
    assert snowflake_datetime(DISCORD_EXAMPLE_ID) == datetime(
        2016, 4, 30, 11, 18, 25, 796_000, tzinfo=UTC
    )
    assert snowflake_worker(DISCORD_EXAMPLE_ID) == 32  # Discord's worker 1, process 0
    assert snowflake_sequence(DISCORD_EXAMPLE_ID) == 7


def test_fields_use_their_full_widths():
    top = (((1 << 42) - 1) << 22) | (MAX_WORKER_ID << 12) | MAX_SEQUENCE
    assert snowflake_worker(top) == 1023
    assert snowflake_sequence(top) == 4095
    assert snowflake_timestamp_ms(top) == DISCORD_EPOCH_MS + (1 << 42) - 1
    assert snowflake_worker(1 << 12) == 1
    assert snowflake_sequence(1 << 12) == 0


def test_snowflake_at_is_the_smallest_id_of_that_millisecond():
    bound = snowflake_at(DISCORD_EXAMPLE_MS)
    assert snowflake_timestamp_ms(bound) == DISCORD_EXAMPLE_MS
    assert snowflake_worker(bound) == 0
    assert snowflake_sequence(bound) == 0
    assert bound <= DISCORD_EXAMPLE_ID < snowflake_at(DISCORD_EXAMPLE_MS + 1)
    assert snowflake_at(DISCORD_EXAMPLE_MS - 1) < bound


def test_snowflake_at_before_the_epoch_is_zero():
    assert snowflake_at(DISCORD_EPOCH_MS) == 0
    assert snowflake_at(0) == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0", 0),
        ("1", 1),
        (str(DISCORD_EXAMPLE_ID), DISCORD_EXAMPLE_ID),
        (DISCORD_EXAMPLE_ID, DISCORD_EXAMPLE_ID),
        (0, 0),
        ("9223372036854775807", MAX_SNOWFLAKE),
        (MAX_SNOWFLAKE, MAX_SNOWFLAKE),
        ("007", 7),
    ],
    ids=[
        "zero-str",
        "one-str",
        "discord-str",
        "discord-int",
        "zero-int",
        "max-str",
        "max-int",
        "leading-zeros",
    ],
)
def test_parse_accepts_decimal_strings_and_ints(given, expected):
    parsed = parse_snowflake(given)
    assert parsed == expected
    assert type(parsed) is int


@pytest.mark.parametrize(
    "given",
    [
        True,
        False,
        -1,
        "-1",
        MAX_SNOWFLAKE + 1,
        "9223372036854775808",
        "99999999999999999999",
        "1" * 40,
        10**5000,
        [10**5000],
        "1" * 1_000_000,
        1.0,
        1.5,
        float("nan"),
        "1.0",
        "1e3",
        "",
        " 1",
        "1 ",
        "+1",
        "0x10",
        "abc",
        "\u0661\u0662\u0663",  # Arabic-Indic digits: str.isdigit() says yes, ids are ASCII
        "\uff11\uff12",  # fullwidth digits
        "²",
        None,
        [],
        [1],
        {},
        b"1",
        object(),
    ],
    ids=lambda v: _label(v),
)
def test_parse_rejects_everything_else_with_a_field_error(given):
    with pytest.raises(ValidationError) as caught:
        parse_snowflake(given, "channel_id")
    (error,) = caught.value.errors
    assert error.field == "channel_id"
    assert error.code == "NUMBER_TYPE_COERCE"
    assert len(error.message) < 100


def test_parse_names_the_default_field():
    with pytest.raises(ValidationError) as caught:
        parse_snowflake("nope")
    assert caught.value.errors[0].field == "id"


def _label(value: object) -> str:
    if isinstance(value, int) and value.bit_length() > 64:
        return "huge-int"
    if isinstance(value, list) and value and isinstance(value[0], int):
        return "list-of-int" if value[0].bit_length() <= 64 else "list-of-huge-int"
    if isinstance(value, str) and len(value) > 40:
        return f"long-str-{len(value)}"
    return f"{type(value).__name__}:{value!r}"


def _generator(worker_id: int = 5, now_ms: int = NOW_MS) -> tuple[SnowflakeGenerator, FakeClock]:
    clock = FakeClock(now_ms)
    return SnowflakeGenerator(worker_id, clock), clock


def test_generated_id_carries_time_worker_and_sequence():
    generator, _ = _generator(worker_id=77)
    first, second = generator.next_id(), generator.next_id()
    assert snowflake_timestamp_ms(first) == NOW_MS
    assert snowflake_worker(first) == 77 == generator.worker_id
    assert (snowflake_sequence(first), snowflake_sequence(second)) == (0, 1)


def test_sequence_restarts_at_zero_in_a_new_millisecond():
    generator, clock = _generator()
    generator.next_id()
    generator.next_id()
    clock.advance(3)
    later = generator.next_id()
    assert snowflake_timestamp_ms(later) == NOW_MS + 3
    assert snowflake_sequence(later) == 0


@pytest.mark.parametrize("worker_id", [0, 1, 512, MAX_WORKER_ID])
def test_worker_ids_within_ten_bits_are_accepted(worker_id):
    generator, _ = _generator(worker_id=worker_id)
    assert snowflake_worker(generator.next_id()) == worker_id


@pytest.mark.parametrize("worker_id", [-1, MAX_WORKER_ID + 1, 1 << 20])
def test_worker_ids_outside_ten_bits_are_refused(worker_id):
    with pytest.raises(ValueError, match="worker id"):
        SnowflakeGenerator(worker_id, FakeClock(NOW_MS))


def test_ids_strictly_increase_as_time_moves():
    generator, clock = _generator()
    ids = []
    for step in range(2000):
        ids.append(generator.next_id())
        if step % 7 == 0:
            clock.advance(1)
    assert all(a < b for a, b in itertools.pairwise(ids))


def test_4096_ids_fill_a_millisecond_then_the_next_waits_for_the_clock():
    generator, clock = _generator()
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 1)]
    assert {snowflake_timestamp_ms(i) for i in ids} == {NOW_MS}
    assert [snowflake_sequence(i) for i in ids] == list(range(4096))
    assert clock.pauses == 0

    overflow = generator.next_id()

    assert clock.pauses == 1  # waited (the fake's pause moves time on by 1 ms)
    assert snowflake_timestamp_ms(overflow) == NOW_MS + 1
    assert snowflake_sequence(overflow) == 0
    assert overflow > ids[-1]


def test_overflow_keeps_waiting_until_the_clock_really_advances():
    generator, clock = _generator()
    for _ in range(MAX_SEQUENCE + 1):
        generator.next_id()
    clock.step_ms = 0  # pauses that do not move time must not produce an id
    calls = 0

    def pause() -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            clock.advance(2)

    clock.pause = pause  # type: ignore[method-assign]
    overflow = generator.next_id()
    assert calls == 5
    assert snowflake_timestamp_ms(overflow) == NOW_MS + 2


def test_clock_stepping_back_never_yields_a_smaller_id():
    generator, clock = _generator()
    before = generator.next_id()
    clock.advance(-5_000)
    after = [generator.next_id() for _ in range(10)]
    assert all(i > before for i in after)
    assert all(a < b for a, b in itertools.pairwise(after))
    assert {snowflake_timestamp_ms(i) for i in after} == {NOW_MS}


def test_sequence_overflow_while_the_clock_is_behind_moves_on_without_waiting():
    generator, clock = _generator()
    first = generator.next_id()
    clock.advance(-5)
    rest = [generator.next_id() for _ in range(MAX_SEQUENCE)]
    assert snowflake_sequence(rest[-1]) == MAX_SEQUENCE

    overflow = generator.next_id()
    assert clock.pauses == 0  # a clock 5 ms behind is not waited for
    assert overflow > rest[-1] > first
    assert snowflake_timestamp_ms(overflow) == NOW_MS + 1
    assert snowflake_sequence(overflow) == 0

    # Still behind: keep counting on the generator's own time.
    following = generator.next_id()
    assert following > overflow
    assert snowflake_timestamp_ms(following) == NOW_MS + 1

    # When the clock catches up to that millisecond, ids still do not repeat.
    clock.set(NOW_MS + 1)
    caught_up = generator.next_id()
    assert caught_up > following


def test_repeated_overflows_with_a_stuck_behind_clock_stay_increasing():
    generator, clock = _generator()
    generator.next_id()
    clock.advance(-1_000)
    ids = [generator.next_id() for _ in range(3 * (MAX_SEQUENCE + 1))]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert snowflake_timestamp_ms(ids[-1]) == NOW_MS + 3
    assert clock.pauses == 0


def test_many_ids_are_unique():
    generator, clock = _generator()
    ids = []
    for n in range(20_000):
        ids.append(generator.next_id())
        if n % 1_000 == 0:
            clock.advance(-3 if n % 2_000 else 1)  # wander both ways
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_two_workers_never_collide_in_the_same_millisecond():
    clock = FakeClock(NOW_MS)
    a, b = SnowflakeGenerator(1, clock), SnowflakeGenerator(2, clock)
    from_a = {a.next_id() for _ in range(100)}
    from_b = {b.next_id() for _ in range(100)}
    assert not from_a & from_b


def test_a_clock_before_the_epoch_is_refused():
    generator, _ = _generator(now_ms=DISCORD_EPOCH_MS - 1)
    with pytest.raises(ValueError, match="epoch"):
        generator.next_id()


def test_generated_ids_parse_back():
    generator, _ = _generator()
    new_id = generator.next_id()
    assert parse_snowflake(str(new_id)) == new_id
