"""What every PostgreSQL repository shares: the pool, the bridge to reach it, ``on_database``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg

from accord.adapters.bridge import Bridge

P = ParamSpec("P")
T = TypeVar("T")
Repository = TypeVar("Repository", bound="PgRepository")


class PgRepository:
    """Base of the repositories.

    Each operation is written once, as an ``@on_database`` method: its body
    runs on the bridge's asyncio loop, where ``self._pool`` lives, and does all
    the queries of that operation on one pooled connection, inside one
    transaction when it writes more than one statement.
    """

    def __init__(self, pool: asyncpg.Pool, bridge: Bridge) -> None:
        self._pool = pool  # asyncio-side: used only inside @on_database bodies
        self._bridge = bridge


def on_database(
    operation: Callable[Concatenate[Repository, P], Awaitable[T]],
) -> Callable[Concatenate[Repository, P], Coroutine[Any, Any, T]]:
    """The Trio-side method that runs ``operation``, whole, on the database side of the bridge.

    A call makes exactly one crossing (``Bridge.run``), whatever ``operation``
    awaits on the asyncio loop; the method takes and returns what ``operation``
    does, so the port's Protocol checks it. Results, exceptions and
    cancellation behave as ``accord.adapters.bridge`` says: the caller gets the
    very exception raised, and a cancelled caller cancels the operation and
    waits (bounded) until its connection is back in the pool.
    """

    # A plain function handing back the bridge's coroutine: per call, no
    # coroutine of its own and no closure (the bridge gets ``operation`` itself).
    def on_trio(
        repository: Repository, /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, T]:
        return repository._bridge.run(operation, repository, *args, **kwargs)

    return functools.update_wrapper(on_trio, operation)
