"""``/guilds/{id}/roles``: list, create, modify, delete and reorder roles.

The blueprint has no URL prefix; its paths are written in full.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, RootModel
from quart import Blueprint, Response
from quart_schema import document_request

from accord.core.services.roles import RoleFields
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import Bitfield, ExactBool, ExactInt, SnowflakeId, null_only
from accord.http.principal import current_principal
from accord.http.responses import json_response, no_content

blueprint = Blueprint("roles", __name__)

# Clients may send these as null (discord.py clears an icon that way) but not set them.
_NO_GRADIENTS = null_only("Gradient and holographic role colours are not supported")
# Role icons need Discord's ROLE_ICONS guild feature, which Accord does not have.
_NO_ICONS = null_only("Role icons are not supported")


class RoleColorsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary_color: ExactInt
    secondary_color: Annotated[None, _NO_GRADIENTS] = None
    tertiary_color: Annotated[None, _NO_GRADIENTS] = None


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    permissions: Bitfield | None = None
    color: ExactInt | None = None
    colors: RoleColorsBody | None = None
    hoist: ExactBool | None = None
    mentionable: ExactBool | None = None
    icon: Annotated[None, _NO_ICONS] = None
    unicode_emoji: Annotated[None, _NO_ICONS] = None


class RolePositionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: SnowflakeId
    position: ExactInt


class RolePositionsBody(RootModel[list[RolePositionBody]]):
    pass


def _guild(guild_id: str) -> Snowflake:
    return parse_snowflake(guild_id, "guild_id")


def _role(role_id: str) -> Snowflake:
    return parse_snowflake(role_id, "role_id")


def _fields(body: RoleBody) -> RoleFields:
    color = body.colors.primary_color if body.colors is not None else body.color
    return RoleFields(
        name=body.name,
        permissions=body.permissions,
        color=color,
        hoist=body.hoist,
        mentionable=body.mentionable,
    )


@blueprint.get("/guilds/<guild_id>/roles")
async def list_roles(guild_id: str) -> Response:
    principal = await current_principal()
    return json_response(await services().roles.list_roles(principal.user.id, _guild(guild_id)))


@blueprint.post("/guilds/<guild_id>/roles")
@document_request(RoleBody)
async def create_role(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(RoleBody)
    payload = await services().roles.create(principal.user.id, _guild(guild_id), _fields(body))
    return json_response(payload)


@blueprint.patch("/guilds/<guild_id>/roles")
@document_request(RolePositionsBody)
async def reorder_roles(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(RolePositionsBody)
    moves = [(move.id, move.position) for move in body.root]
    payload = await services().roles.reorder(principal.user.id, _guild(guild_id), moves)
    return json_response(payload)


@blueprint.patch("/guilds/<guild_id>/roles/<role_id>")
@document_request(RoleBody)
async def modify_role(guild_id: str, role_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(RoleBody)
    payload = await services().roles.modify(
        principal.user.id, _guild(guild_id), _role(role_id), _fields(body)
    )
    return json_response(payload)


@blueprint.delete("/guilds/<guild_id>/roles/<role_id>")
async def delete_role(guild_id: str, role_id: str) -> Response:
    principal = await current_principal()
    await services().roles.delete(principal.user.id, _guild(guild_id), _role(role_id))
    return no_content()
