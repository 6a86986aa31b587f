"""``/guilds/{id}/bans``: list, read, ban and unban.

The blueprint has no URL prefix; its paths are written in full.
"""

from __future__ import annotations

from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.snowflake import Snowflake, parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import ExactInt
from accord.http.principal import current_principal
from accord.http.query import int_arg
from accord.http.responses import json_response, no_content

blueprint = Blueprint("bans", __name__)

# Discord clients send the reason for a moderation act in this header, URL-encoded.
REASON_HEADER = "X-Audit-Log-Reason"


class BanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delete_message_seconds: ExactInt | None = None
    delete_message_days: ExactInt | None = None  # deprecated by Discord; still sent by old clients


def _guild(guild_id: str) -> Snowflake:
    return parse_snowflake(guild_id, "guild_id")


def _user(user_id: str) -> Snowflake:
    return parse_snowflake(user_id, "user_id")


@blueprint.get("/guilds/<guild_id>/bans")
async def list_bans(guild_id: str) -> Response:
    principal = await current_principal()
    payload = await services().bans.list_bans(
        principal.user.id,
        _guild(guild_id),
        limit=int_arg("limit"),
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return json_response(payload)


@blueprint.get("/guilds/<guild_id>/bans/<user_id>")
async def get_ban(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    payload = await services().bans.get_ban(principal.user.id, _guild(guild_id), _user(user_id))
    return json_response(payload)


@blueprint.put("/guilds/<guild_id>/bans/<user_id>")
@document_request(BanBody)
async def ban(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    # The body is optional: a request with neither a body nor a media type has none.
    body = await read_body(BanBody) if request.content_length or request.mimetype else BanBody()
    reason = request.headers.get(REASON_HEADER)
    await services().bans.ban(
        principal.user.id,
        _guild(guild_id),
        _user(user_id),
        delete_message_seconds=body.delete_message_seconds,
        delete_message_days=body.delete_message_days,
        reason=None if reason is None else unquote(reason),
    )
    return no_content()


@blueprint.delete("/guilds/<guild_id>/bans/<user_id>")
async def unban(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    await services().bans.unban(principal.user.id, _guild(guild_id), _user(user_id))
    return no_content()
