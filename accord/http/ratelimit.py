"""Rate limits as Discord applies them: per-route buckets plus a global per-caller limit.

A caller is the signed-in user (or bot) when the request carries a valid
token, and the client's address otherwise.

Every limited response carries ``X-RateLimit-*`` headers; a refusal is a 429
with ``{message, retry_after, global}`` so client libraries wait and retry.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec

from quart import Quart, Response, g, request

from accord.core.ports.ratelimit import RateDecision, RateLimit
from accord.http.client_address import client_address, client_key
from accord.http.context import services
from accord.http.principal import optional_principal
from accord.http.responses import json_response

P = ParamSpec("P")

# The global limit is Discord's (50 requests a second); the others are Accord's own.
GLOBAL = RateLimit("global", limit=50, window=1.0)
AUTH = RateLimit("auth", limit=5, window=60.0)
MESSAGE_CREATE = RateLimit("message-create", limit=5, window=5.0)
GUILD_CREATE = RateLimit("guild-create", limit=10, window=3600.0)


# Rules counted per client address even for a signed-in caller, and then per
# user as well. Register, log in and refresh act for no one yet: counted by
# the token alone, every account registered would give five more attempts a
# minute. A password check for a signed-in user (a change, a deletion) is
# counted by the user too, so a stolen token cannot guess from many addresses.
ADDRESS_KEYED = frozenset({AUTH})


def address_key() -> str:
    """The client's address as a rate-limit key (see accord.http.client_address)."""
    key: str | None = g.get("address_key")
    if key is None:
        peer = request.remote_addr
        proxies = services().settings.trusted_proxies
        if proxies:
            peer = client_address(peer, request.headers.getlist("X-Forwarded-For"), proxies)
        key = g.address_key = client_key(peer or "")
    return key


async def caller_key() -> str:
    """Who is asking: the signed-in user or bot, else the client's address.

    A missing or invalid Authorization header counts the same, so sending a
    new invalid one with each request buys nothing. The principal is the one
    the route uses (resolved once per request, from the auth service's cache).
    """
    key: str | None = g.get("caller_key")  # the global and the route limit both ask
    if key is None:
        principal = await optional_principal()
        key = g.caller_key = f"u:{principal.user.id}" if principal else address_key()
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
    decision = await services().rate_limiter.hit(_scaled(GLOBAL), await caller_key())
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


async def _counted_as(rule: RateLimit) -> tuple[str, ...]:
    """The keys a hit of ``rule`` counts against: the caller's, and the address's if keyed so."""
    caller = await caller_key()
    if rule not in ADDRESS_KEYED:
        return (caller,)
    address = address_key()
    return (address,) if caller == address else (address, caller)


def rate_limited(
    rule: RateLimit, scope: Callable[[], str] = lambda: ""
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Limit a route to ``rule`` per caller (and per ``scope()``, e.g. the channel)."""

    def decorate(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
        @wraps(handler)
        async def limited(*args: P.args, **kwargs: P.kwargs) -> Response:
            effective = _scaled(rule)
            where = scope()
            decisions = []
            for who in await _counted_as(rule):
                decision = await services().rate_limiter.hit(effective, f"{who}|{where}")
                if not decision.allowed:
                    return too_many(effective, decision, is_global=False)
                decisions.append(decision)
            # The headers tell of the bucket nearest its limit; they are added
            # after the handler, also when it fails (see install).
            nearest = min(decisions, key=lambda d: d.remaining)
            g.rate_limit_headers = _headers(effective, nearest)
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
