"""Invites: create and list them per channel or guild; preview, accept and delete by code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.services.invites import InviteDraft
from accord.core.snowflake import parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import ExactBool, ExactInt
from accord.http.principal import current_principal
from accord.http.query import flag_arg
from accord.http.responses import json_response

blueprint = Blueprint("invites", __name__)


class CreateInviteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Exact types: in lax mode ``"max_age": true`` would be a one-second invite.
    max_age: ExactInt | None = None
    max_uses: ExactInt | None = None
    temporary: ExactBool = False
    unique: ExactBool = False
    # discord.py sends these, null unless asked for; a set target_type is refused.
    target_type: ExactInt | None = None
    target_user_id: str | int | None = None
    target_application_id: str | int | None = None
    flags: ExactInt | None = None


async def _create_body() -> CreateInviteBody:
    # Discord takes a bare POST (no body, no content type) as all defaults.
    if not request.mimetype and not request.content_length:
        return CreateInviteBody()
    return await read_body(CreateInviteBody)


@blueprint.post("/channels/<channel_id>/invites")
@document_request(CreateInviteBody)
async def create_invite(channel_id: str) -> Response:
    principal = await current_principal()
    body = await _create_body()
    draft = InviteDraft(
        max_age=body.max_age,
        max_uses=body.max_uses,
        temporary=body.temporary,
        unique=body.unique,
        target_type=body.target_type,
    )
    payload = await services().invites.create(
        principal.user.id, parse_snowflake(channel_id, "channel_id"), draft
    )
    return json_response(payload)


@blueprint.get("/channels/<channel_id>/invites")
async def list_channel_invites(channel_id: str) -> Response:
    principal = await current_principal()
    payload = await services().invites.list_for_channel(
        principal.user.id, parse_snowflake(channel_id, "channel_id")
    )
    return json_response(payload)


@blueprint.get("/guilds/<guild_id>/invites")
async def list_guild_invites(guild_id: str) -> Response:
    principal = await current_principal()
    payload = await services().invites.list_for_guild(
        principal.user.id, parse_snowflake(guild_id, "guild_id")
    )
    return json_response(payload)


@blueprint.get("/invites/<code>")
async def get_invite(code: str) -> Response:
    await current_principal()  # any signed-in user may preview an invite
    return json_response(await services().invites.preview(code, flag_arg("with_counts")))


@blueprint.post("/invites/<code>")
async def accept_invite(code: str) -> Response:
    principal = await current_principal()
    return json_response(await services().invites.accept(principal.user.id, code))


@blueprint.delete("/invites/<code>")
async def delete_invite(code: str) -> Response:
    principal = await current_principal()
    return json_response(await services().invites.delete(principal.user.id, code))
