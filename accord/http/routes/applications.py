"""REST routes for bot applications, OAuth2 bot authorization, gateway discovery."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, StrictInt
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.errors import NotFound, Resource
from accord.core.services.account_kind import require_bot
from accord.core.services.bot_authorization import BotAuthorization
from accord.core.snowflake import parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import Bitfield, SnowflakeId
from accord.http.gateway_discovery import gateway_url, session_start_limit
from accord.http.principal import current_principal
from accord.http.responses import json_response

blueprint = Blueprint("applications", __name__)


class CreateApplicationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str | None = None
    # Only the GATEWAY_* intent flags: they approve the bot's privileged intents.
    flags: StrictInt | None = None


class AuthorizeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: SnowflakeId
    scope: str
    guild_id: SnowflakeId
    permissions: Bitfield | None = None


@blueprint.post("/applications")
@document_request(CreateApplicationBody)
async def create_application() -> Response:
    principal = await current_principal()
    body = await read_body(CreateApplicationBody)
    payload = await services().applications.create(
        principal.user, body.name, body.description, body.flags
    )
    return json_response(payload, status=201)


@blueprint.get("/applications")
async def list_applications() -> Response:
    principal = await current_principal()
    return json_response(await services().applications.list_owned(principal.user))


async def _current_application() -> Response:
    principal = await current_principal()
    if principal.application is None:
        # A person is not an application; their own are at GET /applications.
        raise NotFound(Resource.APPLICATION, "Unknown Application: only a bot token names one")
    return json_response(await services().applications.get_current(principal.application))


@blueprint.get("/applications/@me")
async def get_current_application() -> Response:
    return await _current_application()


@blueprint.get("/oauth2/applications/@me")
async def get_current_oauth2_application() -> Response:
    return await _current_application()


@blueprint.get("/applications/<application_id>")
async def get_application(application_id: str) -> Response:
    principal = await current_principal()
    payload = await services().applications.get(
        principal.user.id, parse_snowflake(application_id, "application_id")
    )
    return json_response(payload)


@blueprint.post("/applications/<application_id>/bot/reset")
async def reset_bot_token(application_id: str) -> Response:
    principal = await current_principal()
    app_id = parse_snowflake(application_id, "application_id")
    payload = await services().applications.reset_bot_token(principal.user, app_id)
    await services().auth.bot_token_replaced(app_id)
    return json_response(payload)


@blueprint.post("/oauth2/authorize")
@document_request(AuthorizeBody)
async def authorize() -> Response:
    principal = await current_principal()
    body = await read_body(AuthorizeBody)
    form = BotAuthorization(
        client_id=body.client_id,
        scope=body.scope,
        guild_id=body.guild_id,
        permissions=body.permissions,
    )
    return json_response(await services().applications.authorize(principal.user, form))


def _request_hostname() -> str | None:
    return urlsplit(f"//{request.host}").hostname if request.host else None


@blueprint.get("/gateway")
async def get_gateway() -> Response:
    return json_response({"url": gateway_url(services().settings, _request_hostname())})


@blueprint.get("/gateway/bot")
async def get_gateway_bot() -> Response:
    principal = await current_principal()
    require_bot(principal.application)
    return json_response(
        {
            "url": gateway_url(services().settings, _request_hostname()),
            "shards": 1,
            "session_start_limit": session_start_limit(),
        }
    )
