"""Who is calling: resolved once per request from the Authorization header."""

from __future__ import annotations

from quart import g, request

from accord.core.services.auth import Principal
from accord.http.context import services


async def current_principal() -> Principal:
    """The authenticated caller; InvalidToken (401) if the header is missing or bad."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        principal = await services().auth.authenticate(request.headers.get("Authorization"))
        g.principal = principal
    return principal
