"""``POST /channels/{id}/typing``: the typing indicator."""

from __future__ import annotations

from quart import Blueprint, Response

from accord.core.snowflake import parse_snowflake
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.responses import no_content

blueprint = Blueprint("typing", __name__)


@blueprint.post("/channels/<channel_id>/typing")
async def start_typing(channel_id: str) -> Response:
    """204 whether or not the throttle let an event out, as Discord answers."""
    principal = await current_principal()
    await services().typing.start(principal.user.id, parse_snowflake(channel_id, "channel_id"))
    return no_content()
