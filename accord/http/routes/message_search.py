"""``GET /guilds/{id}/messages/search``: searching a guild's messages."""

from __future__ import annotations

from quart import Blueprint, Response, request

from accord.core.services.message_search import SearchQuery
from accord.core.snowflake import parse_snowflake
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.query import int_arg
from accord.http.responses import json_response

blueprint = Blueprint("search", __name__)


@blueprint.get("/guilds/<guild_id>/messages/search")
async def search_messages(guild_id: str) -> Response:
    """``content``, ``limit``, ``offset`` and any number of ``channel_id``; others are ignored."""
    principal = await current_principal()
    query = SearchQuery(
        content=request.args.get("content"),
        limit=int_arg("limit"),
        offset=int_arg("offset"),
        channel_ids=request.args.getlist("channel_id"),
    )
    payload = await services().search.search(
        principal.user.id, parse_snowflake(guild_id, "guild_id"), query
    )
    return json_response(payload)
