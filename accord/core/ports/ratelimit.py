"""The rate-limiter port: fixed windows per bucket and caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``limit`` hits per ``window`` seconds for one bucket."""

    bucket: str
    limit: int
    window: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the window resets


class RateLimiter(Protocol):
    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        """Count one hit of ``key`` against ``rule`` and say whether it may proceed."""
        ...
