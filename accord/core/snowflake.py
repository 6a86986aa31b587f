"""Snowflake ids, laid out exactly as Discord's so clients can derive ``created_at``.

bits 63..22  milliseconds since DISCORD_EPOCH_MS (42 bits)
bits 21..12  worker id (10 bits)
bits 11..0   per-millisecond sequence (12 bits)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

from accord.core.clock import Clock
from accord.core.errors import ValidationError

Snowflake = NewType("Snowflake", int)

# 2015-01-01T00:00:00Z, Discord's epoch: Discord clients compute timestamps
# from ids with this one, so any other would give them wrong dates.
DISCORD_EPOCH_MS = 1_420_070_400_000

TIMESTAMP_BITS = 42
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER_ID = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
MAX_TIMESTAMP = (1 << TIMESTAMP_BITS) - 1
MAX_SNOWFLAKE = (1 << 63) - 1  # ids live in a signed BIGINT column


def parse_snowflake(value: object, field: str = "id") -> Snowflake:
    """Read an id given as a decimal string or an int; anything else is a ValidationError."""
    if isinstance(value, bool):  # bool is an int subclass; True is not an id
        raise _not_snowflake(value, field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    else:
        raise _not_snowflake(value, field)
    if not 0 <= number <= MAX_SNOWFLAKE:
        raise _not_snowflake(value, field)
    return Snowflake(number)


def _not_snowflake(value: object, field: str) -> ValidationError:
    # Echo only short scalars: str() of an int past 4300 digits (or of a list
    # holding one) raises ValueError, and a huge input has no place in a message.
    if isinstance(value, str):
        shown = value[:32]
    elif isinstance(value, int) and value.bit_length() > 128:
        shown = "a very large integer"
    elif isinstance(value, int | float) or value is None:
        shown = str(value)
    else:
        shown = type(value).__name__
    return ValidationError.single(field, "NUMBER_TYPE_COERCE", f"Value '{shown}' is not snowflake.")


def snowflake_timestamp_ms(snowflake: int) -> int:
    """Unix milliseconds at which the id was generated."""
    return (snowflake >> (WORKER_BITS + SEQUENCE_BITS)) + DISCORD_EPOCH_MS


def snowflake_datetime(snowflake: int) -> datetime:
    """The id's creation time as an aware UTC datetime."""
    return datetime.fromtimestamp(snowflake_timestamp_ms(snowflake) / 1000, tz=UTC)


def snowflake_worker(snowflake: int) -> int:
    return (snowflake >> SEQUENCE_BITS) & MAX_WORKER_ID


def snowflake_sequence(snowflake: int) -> int:
    return snowflake & MAX_SEQUENCE


def snowflake_at(unix_ms: int) -> Snowflake:
    """The smallest id of a millisecond: a keyset bound for 'messages before this time'."""
    return Snowflake(max(unix_ms - DISCORD_EPOCH_MS, 0) << (WORKER_BITS + SEQUENCE_BITS))


class SnowflakeGenerator:
    """Hands out strictly increasing ids for one worker.

    Not thread-safe: one generator belongs to one Trio run (one event loop).
    Distinct processes must use distinct worker ids; that is checked at start-up.
    """

    def __init__(self, worker_id: int, clock: Clock) -> None:
        if not 0 <= worker_id <= MAX_WORKER_ID:
            raise ValueError(f"worker id must be within 0..{MAX_WORKER_ID}, got {worker_id}")
        self._worker_bits = worker_id << SEQUENCE_BITS
        self._clock = clock
        self._last_ms = -1
        self._sequence = 0

    @property
    def worker_id(self) -> int:
        return self._worker_bits >> SEQUENCE_BITS

    def next_id(self) -> Snowflake:
        """The next id: greater than every id this generator returned before."""
        now = self._clock.now_ms() - DISCORD_EPOCH_MS
        if now > self._last_ms:
            self._last_ms, self._sequence = now, 0
        elif self._sequence < MAX_SEQUENCE:
            # Same millisecond, or the clock stepped back: keep counting on the
            # last timestamp so ids never go backwards.
            self._sequence += 1
        else:
            self._last_ms, self._sequence = self._wait_past(self._last_ms), 0
        if self._last_ms > MAX_TIMESTAMP:
            raise OverflowError("snowflake timestamp exceeds 42 bits")
        if self._last_ms < 0:
            raise ValueError("clock is before the snowflake epoch")
        return Snowflake(
            (self._last_ms << (WORKER_BITS + SEQUENCE_BITS)) | self._worker_bits | self._sequence
        )

    def _wait_past(self, last_ms: int) -> int:
        """All 4096 ids of ``last_ms`` are spent: wait for the clock's next millisecond.

        A clock that is behind ``last_ms`` (it stepped back) may take arbitrarily
        long to catch up, so then the generator moves its own time forward one
        millisecond instead of waiting; ids stay unique and increasing.
        """
        while True:
            now = self._clock.now_ms() - DISCORD_EPOCH_MS
            if now > last_ms:
                return now
            if now < last_ms:
                return last_ms + 1
            self._clock.pause()
