"""The in-process rate limiter: fixed windows kept in a bounded dict."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.clock import Clock
from accord.core.ports.ratelimit import RateDecision, RateLimit

# Distinct (bucket, caller) windows remembered at once. Past it, expired
# windows are swept; if every one is still live the oldest are forgotten,
# which can only ever let a caller through early, never block one wrongly.
MAX_WINDOWS = 100_000


@dataclass(slots=True)
class _Window:
    started: float
    count: int


class InMemoryRateLimiter:
    def __init__(self, clock: Clock, max_windows: int = MAX_WINDOWS) -> None:
        self._clock = clock
        self._max_windows = max_windows
        self._windows: dict[tuple[str, str], _Window] = {}

    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        return self.hit_nowait(rule, key)

    def hit_nowait(self, rule: RateLimit, key: str) -> RateDecision:
        now = self._clock.monotonic()
        slot = (rule.bucket, key)
        window = self._windows.get(slot)
        if window is None or now - window.started >= rule.window:
            if window is None and len(self._windows) >= self._max_windows:
                self._sweep(now, rule.window)
            window = self._windows[slot] = _Window(now, 0)
        reset_after = max(rule.window - (now - window.started), 0.0)
        if window.count >= rule.limit:
            return RateDecision(False, rule.limit, 0, reset_after)
        window.count += 1
        return RateDecision(True, rule.limit, rule.limit - window.count, reset_after)

    def _sweep(self, now: float, longest_window: float) -> None:
        expired = [k for k, w in self._windows.items() if now - w.started >= longest_window]
        for key in expired:
            del self._windows[key]
        # dicts keep insertion order, so the first keys are the oldest windows
        excess = len(self._windows) - self._max_windows + 1
        for key in list(self._windows)[: max(excess, 0)]:
            del self._windows[key]
