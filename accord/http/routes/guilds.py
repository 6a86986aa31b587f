"""``/guilds``: create, read, modify, delete; the guild's channel list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.services.channels import ChannelDraft
from accord.core.services.guilds import GuildChanges
from accord.core.snowflake import parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.ratelimit import GUILD_CREATE, rate_limited
from accord.http.responses import json_response, no_content

blueprint = Blueprint("guilds", __name__, url_prefix="/guilds")


class CreateGuildBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str | None = None
    icon: str | None = None
    # Accepted for Discord compatibility and ignored: Accord has no regions or templates.
    region: str | None = None
    verification_level: int | None = None
    default_message_notifications: int | None = None
    explicit_content_filter: int | None = None
    roles: list[Any] | None = None
    channels: list[Any] | None = None
    afk_channel_id: str | int | None = None
    afk_timeout: int | None = None
    system_channel_id: str | int | None = None
    system_channel_flags: int | None = None


class ModifyGuildBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    icon: str | None = None
    owner_id: str | int | None = None


class CreateChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: int = 0
    topic: str | None = None
    parent_id: str | int | None = None
    position: int | None = None
    permission_overwrites: list[Any] | None = None
    nsfw: bool | None = None
    rate_limit_per_user: int | None = None


@blueprint.post("")
@document_request(CreateGuildBody)
@rate_limited(GUILD_CREATE)
async def create_guild() -> Response:
    principal = await current_principal()
    body = await read_body(CreateGuildBody)
    payload = await services().guilds.create_guild(principal.user.id, body.name, body.description)
    return json_response(payload, status=201)


@blueprint.get("/<guild_id>")
async def get_guild(guild_id: str) -> Response:
    principal = await current_principal()
    with_counts = request.args.get("with_counts", "false").lower() == "true"
    payload = await services().guilds.get_guild(
        principal.user.id, parse_snowflake(guild_id, "guild_id"), with_counts
    )
    return json_response(payload)


@blueprint.patch("/<guild_id>")
@document_request(ModifyGuildBody)
async def modify_guild(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(ModifyGuildBody)
    sent = body.model_fields_set
    changes = GuildChanges(
        name=body.name,
        description=body.description,
        clear_description="description" in sent and body.description is None,
        icon=body.icon,
        clear_icon="icon" in sent and body.icon is None,
        owner_id=body.owner_id,
    )
    payload = await services().guilds.modify_guild(
        principal.user.id, parse_snowflake(guild_id, "guild_id"), changes
    )
    return json_response(payload)


@blueprint.delete("/<guild_id>")
async def delete_guild(guild_id: str) -> Response:
    principal = await current_principal()
    await services().guilds.delete_guild(principal.user.id, parse_snowflake(guild_id, "guild_id"))
    return no_content()


@blueprint.get("/<guild_id>/channels")
async def list_channels(guild_id: str) -> Response:
    principal = await current_principal()
    channels = await services().channels.list_guild_channels(
        principal.user.id, parse_snowflake(guild_id, "guild_id")
    )
    return json_response(channels)


@blueprint.post("/<guild_id>/channels")
@document_request(CreateChannelBody)
async def create_channel(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(CreateChannelBody)
    draft = ChannelDraft(
        body.name,
        body.type,
        body.topic,
        body.parent_id,
        body.position,
        overwrites=body.permission_overwrites,
    )
    payload = await services().channels.create(
        principal.user.id, parse_snowflake(guild_id, "guild_id"), draft
    )
    return json_response(payload, status=201)
