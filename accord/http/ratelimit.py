"""Rate limits as Discord applies them: per-route buckets plus a global per-caller limit.

Every limited response carries ``X-RateLimit-*`` headers; a refusal is a 429
with ``{message, retry_after, global}`` so client libraries wait and retry.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec

from quart import Quart, Response, g, request

from accord.core.ports.ratelimit import RateDecision, RateLimit
from accord.http.context import services
from accord.http.responses import json_response

P = ParamSpec("P")

# Seed 003's figures; Discord's global limit is 50 requests per second.
GLOBAL = RateLimit("global", limit=50, window=1.0)
AUTH = RateLimit("auth", limit=5, window=60.0)
MESSAGE_CREATE = RateLimit("message-create", limit=5, window=5.0)
GUILD_CREATE = RateLimit("guild-create", limit=10, window=3600.0)


def caller_key() -> str:
    """Who is asking, without a database lookup: their credential's digest, else their address."""
    key: str | None = g.get("caller_key")  # the global and the route limit both ask
    if key is None:
        authorization = request.headers.get("Authorization")
        if authorization:
            key = "t:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
        else:
            key = f"ip:{request.remote_addr}"
        g.caller_key = key
    return key


def _headers(rule: RateLimit, decision: RateDecision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": f"{time.time() + decision.reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{decision.reset_after:.3f}",
        "X-RateLimit-Bucket": rule.bucket,
    }


def too_many(rule: RateLimit, decision: RateDecision, *, is_global: bool) -> Response:
    retry_after = round(max(decision.reset_after, 0.001), 3)
    headers = _headers(rule, decision)
    headers["Retry-After"] = str(math.ceil(retry_after))
    headers["X-RateLimit-Scope"] = "global" if is_global else "user"
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    # discord.py takes a 429 without Via for a proxy's ban and gives up
    # instead of waiting retry_after; Discord's own 429s come through a proxy.
    headers["Via"] = "1.1 accord"
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    return json_response(body, status=429, headers=headers)


async def check_global() -> Response | None:
    """The global limit for every API request; a 429 response, or None to proceed."""
    decision = await services().rate_limiter.hit(_scaled(GLOBAL), caller_key())
    if decision.allowed:
        return None
    return too_many(GLOBAL, decision, is_global=True)


def _scaled(rule: RateLimit) -> RateLimit:
    """Apply the configured multiplier, so benchmarks measure the server, not the limiter."""
    factor = services().settings.rate_limit_scale
    return rule if factor == 1 else _multiplied(rule, factor)


@functools.cache  # a handful of rules times the one configured factor
def _multiplied(rule: RateLimit, factor: float) -> RateLimit:
    return RateLimit(rule.bucket, max(1, int(rule.limit * factor)), rule.window)


def rate_limited(
    rule: RateLimit, scope: Callable[[], str] = lambda: ""
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Limit a route to ``rule`` per caller (and per ``scope()``, e.g. the channel)."""

    def decorate(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
        @wraps(handler)
        async def limited(*args: P.args, **kwargs: P.kwargs) -> Response:
            effective = _scaled(rule)
            key = f"{caller_key()}|{scope()}"
            decision = await services().rate_limiter.hit(effective, key)
            if not decision.allowed:
                return too_many(effective, decision, is_global=False)
            # Headers are added after the handler, also when it fails (see install).
            g.rate_limit_headers = _headers(effective, decision)
            return await handler(*args, **kwargs)

        return limited

    return decorate


def install_rate_limits(app: Quart) -> None:
    """The global limit on every API request, and bucket headers on every limited response."""

    @app.before_request
    async def _global_limit() -> Response | None:
        if request.path.startswith("/api"):
            return await check_global()
        return None

    @app.after_request
    async def _bucket_headers(response: Response) -> Response:
        headers: dict[str, str] | None = g.get("rate_limit_headers")
        if headers and response.status_code != 429:
            # Appended, not set: no handler sets these, so there is nothing to replace.
            response.headers.extend(headers)
        return response
