"""Rate limits on Redis: the same fixed windows, shared by every process."""

from __future__ import annotations

import logging
from typing import Any, Final

from accord.adapters.redis.client import UNAVAILABLE, RedisLink
from accord.core.ports.ratelimit import RateDecision, RateLimit

log = logging.getLogger("accord.ratelimit")

# One round trip: count the hit, start the window's expiry on its first hit,
# and report the count and the time left. Windows expire by themselves, so
# Redis holds only live ones.
_HIT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RedisRateLimiter:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self._link = link
        self._prefix = prefix
        self._script: Any = link.client.register_script(_HIT)

    async def hit(self, rule: RateLimit, key: str) -> RateDecision:
        window_ms = max(1, int(rule.window * 1000))
        try:
            count, ttl_ms = await self._link.run(
                self._script, keys=[f"{self._prefix}:rl:{rule.bucket}:{key}"], args=[window_ms]
            )
        except UNAVAILABLE as exc:
            # Fail open: while Redis is away requests go through unlimited
            # rather than all failing; limits resume the moment it is back.
            log.warning("rate limiter unavailable (%s); allowing %s", exc, rule.bucket)
            return RateDecision(True, rule.limit, rule.limit, rule.window)
        reset_after = max(int(ttl_ms), 0) / 1000
        if int(count) > rule.limit:
            return RateDecision(False, rule.limit, 0, reset_after)
        return RateDecision(True, rule.limit, rule.limit - int(count), reset_after)
