"""The payload limiter allows 120 payloads in any 60 s (sliding window), then asks for 4008."""

from __future__ import annotations

import pytest

from accord.gateway.limits import PAYLOADS_PER_WINDOW, WINDOW_SECONDS, PayloadLimiter
from accord.gateway.protocol import CloseCode
from tests.unit.fakes import FakeClock


def test_discords_limit() -> None:
    assert (PAYLOADS_PER_WINDOW, WINDOW_SECONDS) == (120, 60.0)


def test_the_121st_payload_within_a_minute_is_rate_limited() -> None:
    clock = FakeClock(0)
    limiter = PayloadLimiter(clock.monotonic)
    for _ in range(120):
        assert limiter.check() is None
        clock.advance(100)
    assert clock.monotonic() == pytest.approx(12.0)
    assert limiter.check() is CloseCode.RATE_LIMITED


def test_payloads_spread_over_time_are_never_limited() -> None:
    clock = FakeClock(0)
    limiter = PayloadLimiter(clock.monotonic)
    for _ in range(1000):  # one every 0.5 s: exactly 120 per 60 s
        assert limiter.check() is None
        clock.advance(500)


def test_window_slides_rather_than_resets() -> None:
    clock = FakeClock(0)
    limiter = PayloadLimiter(clock.monotonic, limit=3, window=10.0)
    assert limiter.check() is None  # t = 0
    clock.advance(9_000)
    assert limiter.check() is None  # t = 9
    assert limiter.check() is None  # t = 9
    clock.advance(900)
    assert limiter.check() is CloseCode.RATE_LIMITED  # t = 9.9: four within 10 s
    clock.advance(100)
    assert limiter.check() is None  # t = 10: the payload at 0 has left the window
    # A fixed window starting at 10 would allow two more here; the sliding one
    # still counts the two from t = 9.
    assert limiter.check() is CloseCode.RATE_LIMITED


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PayloadLimiter(lambda: 0.0, limit=0)
