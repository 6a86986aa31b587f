"""Who is calling: resolved once per request from the Authorization header."""

from __future__ import annotations

from quart import g, request

from accord.core.errors import AuthenticationError
from accord.core.services.auth import Principal
from accord.http.context import services


async def _resolved() -> Principal | AuthenticationError:
    """The header's principal, or why it names none; asked of the auth service once per request.

    The rate limits resolve the caller before the route does, so the answer,
    a failure included, is kept for the route rather than verified again.
    """
    outcome: Principal | AuthenticationError | None = g.get("principal")
    if outcome is None:
        try:
            outcome = await services().auth.authenticate(request.headers.get("Authorization"))
        except AuthenticationError as exc:
            outcome = exc
        g.principal = outcome
    return outcome


async def current_principal() -> Principal:
    """The authenticated caller; InvalidToken (401) if the header is missing or bad."""
    outcome = await _resolved()
    if isinstance(outcome, AuthenticationError):
        raise outcome
    return outcome


async def optional_principal() -> Principal | None:
    """The authenticated caller, or None when the header is missing or names no one valid."""
    if "principal" not in g and "Authorization" not in request.headers:
        return None
    outcome = await _resolved()
    return None if isinstance(outcome, AuthenticationError) else outcome
