"""Requests that change state run to completion once they reach their route.

Quart-Trio cancels a request's handler when its client disconnects. A route
that changes state does several things in order (write, then publish the
event or announce the ended login), and cancelled between them it would
leave the write without its announcement: a channel hidden in storage but
not in the gateway's view, a password changed while old sockets stay open,
a message stored but never dispatched. So every POST, PUT, PATCH and DELETE
route runs shielded from that cancellation, for at most FINISH_S seconds.
The body was read before the route started (see body.drain_body), so a
client that goes quiet cannot hold a shielded route open.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio
from quart import Quart
from werkzeug.exceptions import ServiceUnavailable

# Past the storage's own 30 s statement timeout, so only a wedged process
# reaches it; the client (if still there) then gets 503.
FINISH_S: Final = 45.0
MUTATING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _run_to_completion(view: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    # Every mutating route is a coroutine function (the routes are async throughout).
    @functools.wraps(view)  # keeps the attributes the OpenAPI document reads
    async def shielded(*args: Any, **kwargs: Any) -> Any:
        with trio.move_on_after(FINISH_S, shield=True):
            return await view(*args, **kwargs)
        raise ServiceUnavailable()

    return shielded


def shield_mutations(app: Quart) -> None:
    """Wrap every registered route that answers a mutating method (call after registering)."""
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if MUTATING & set(rule.methods or ())
    }
    for endpoint in endpoints:
        app.view_functions[endpoint] = _run_to_completion(app.view_functions[endpoint])
