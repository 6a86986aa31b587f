"""Guild members: list, search, read, modify, member roles, kicks, and leaving a guild.

The blueprint has no URL prefix, since its paths start under both ``/guilds``
and ``/users``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.services.members import MemberChanges
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import SnowflakeId
from accord.http.principal import current_principal
from accord.http.query import int_arg
from accord.http.responses import json_response, no_content

blueprint = Blueprint("members", __name__)


class ModifyMemberBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nick: str | None = None
    roles: list[SnowflakeId] | None = None


class ModifyCurrentMemberBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nick: str | None = None


def _guild(guild_id: str) -> Snowflake:
    return parse_snowflake(guild_id, "guild_id")


def _user(user_id: str) -> Snowflake:
    return parse_snowflake(user_id, "user_id")


@blueprint.get("/guilds/<guild_id>/members")
async def list_members(guild_id: str) -> Response:
    principal = await current_principal()
    payload = await services().members.list_members(
        principal.user.id,
        _guild(guild_id),
        limit=int_arg("limit"),
        after=request.args.get("after"),
    )
    return json_response(payload)


@blueprint.get("/guilds/<guild_id>/members/search")
async def search_members(guild_id: str) -> Response:
    principal = await current_principal()
    payload = await services().members.search(
        principal.user.id,
        _guild(guild_id),
        query=request.args.get("query"),
        limit=int_arg("limit"),
    )
    return json_response(payload)


@blueprint.get("/guilds/<guild_id>/members/<user_id>")
async def get_member(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    payload = await services().members.get(principal.user.id, _guild(guild_id), _user(user_id))
    return json_response(payload)


@blueprint.patch("/guilds/<guild_id>/members/@me")
@document_request(ModifyCurrentMemberBody)
async def modify_current_member(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(ModifyCurrentMemberBody)
    changes = MemberChanges(nick=body.nick, set_nick="nick" in body.model_fields_set)
    payload = await services().members.modify(
        principal.user.id, _guild(guild_id), principal.user.id, changes
    )
    return json_response(payload)


@blueprint.patch("/guilds/<guild_id>/members/<user_id>")
@document_request(ModifyMemberBody)
async def modify_member(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(ModifyMemberBody)
    changes = MemberChanges(
        nick=body.nick, set_nick="nick" in body.model_fields_set, roles=body.roles
    )
    payload = await services().members.modify(
        principal.user.id, _guild(guild_id), _user(user_id), changes
    )
    return json_response(payload)


@blueprint.delete("/guilds/<guild_id>/members/<user_id>")
async def kick_member(guild_id: str, user_id: str) -> Response:
    principal = await current_principal()
    await services().members.kick(principal.user.id, _guild(guild_id), _user(user_id))
    return no_content()


@blueprint.put("/guilds/<guild_id>/members/<user_id>/roles/<role_id>")
async def add_member_role(guild_id: str, user_id: str, role_id: str) -> Response:
    principal = await current_principal()
    await services().members.add_role(
        principal.user.id, _guild(guild_id), _user(user_id), parse_snowflake(role_id, "role_id")
    )
    return no_content()


@blueprint.delete("/guilds/<guild_id>/members/<user_id>/roles/<role_id>")
async def remove_member_role(guild_id: str, user_id: str, role_id: str) -> Response:
    principal = await current_principal()
    await services().members.remove_role(
        principal.user.id, _guild(guild_id), _user(user_id), parse_snowflake(role_id, "role_id")
    )
    return no_content()


@blueprint.delete("/users/@me/guilds/<guild_id>")
async def leave_guild(guild_id: str) -> Response:
    principal = await current_principal()
    await services().members.leave(principal.user.id, _guild(guild_id))
    return no_content()
