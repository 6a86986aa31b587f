"""``/users``: the caller's own account, guilds and DMs, and other users' public profiles.

A person changes their password as Discord's client does, with ``PATCH
/users/@me`` carrying ``password`` and ``new_password`` (the answer carries a
new ``token``: every login ended, see docs/decisions/0004-session-ending.md),
and deletes their account with ``POST /users/@me/delete`` and ``password``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.errors import NotFound, Resource, ValidationError
from accord.core.services.auth import Principal
from accord.core.services.users import GUILD_PAGE_MAX, GUILD_PAGE_MIN, GuildPage, ProfileChanges
from accord.core.shapes import current_user_shape, user_shape
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.core.validation import validate_int
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import ExactBool, SnowflakeId
from accord.http.principal import current_principal
from accord.http.ratelimit import AUTH, rate_limited
from accord.http.responses import json_response, no_content

blueprint = Blueprint("users", __name__, url_prefix="/users")


class ModifyMeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str | None = None
    global_name: str | None = None
    avatar: str | None = None  # a data URI (data:image/png;base64,...); null removes it
    # People only: the current password, required with new_password (and
    # checked whenever sent).
    password: str | None = None
    new_password: str | None = None


class DeleteMeBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    password: str


class OpenDmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient_id: SnowflakeId


class ModifySettingsBody(BaseModel):
    # Discord's legacy settings object, with the one field Accord keeps; fields
    # Accord does not have are refused rather than silently dropped.
    model_config = ConfigDict(extra="forbid")
    allow_dms_from_anyone: ExactBool = False  # DMs from people who share no guild


def _optional_id(name: str) -> Snowflake | None:
    raw = request.args.get(name)
    return None if raw is None else parse_snowflake(raw, name)


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return GUILD_PAGE_MAX
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise ValidationError.single("limit", "NUMBER_TYPE_COERCE", "Must be an integer.")
    return validate_int(int(raw), "limit", GUILD_PAGE_MIN, GUILD_PAGE_MAX)


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ValidationError.single(name, "BASE_TYPE_BOOLEAN", "Must be either true or false.")
    return raw in ("true", "1")


@blueprint.get("/@me")
async def get_me() -> Response:
    principal = await current_principal()
    if principal.user.bot:
        return json_response(current_user_shape(None, principal.user))
    # The account row is read anyway; its user is fresher than the cached principal's.
    account = await services().storage.users.get_account(principal.user.id)
    return json_response(current_user_shape(account, account.user if account else principal.user))


@blueprint.patch("/@me")
@document_request(ModifyMeBody)
async def modify_me() -> Response:
    principal = await current_principal()
    body = await read_body(ModifyMeBody)
    sent = body.model_fields_set
    changes = ProfileChanges(
        username=body.username,
        username_set="username" in sent,
        global_name=body.global_name,
        global_name_set="global_name" in sent,
        avatar=body.avatar,
        avatar_set="avatar" in sent,
        password=body.password,
        new_password=body.new_password,
    )
    if changes.checks_password:
        return await _modify_me_checking_password(principal, changes)
    return json_response(await services().users.modify_me(principal, changes))


# A guess at the current password costs what a login attempt does, from the
# same bucket: per address and per user (see ADDRESS_KEYED), shared with
# logins and account deletions.
@rate_limited(AUTH)
async def _modify_me_checking_password(principal: Principal, changes: ProfileChanges) -> Response:
    return json_response(await services().users.modify_me(principal, changes))


@blueprint.post("/@me/delete")
@document_request(DeleteMeBody)
@rate_limited(AUTH)
async def delete_me() -> Response:
    """Discord's account deletion: the password, then every login and connection ends."""
    principal = await current_principal()
    body = await read_body(DeleteMeBody)
    await services().users.delete_account(principal, body.password)
    return no_content()


@blueprint.get("/@me/guilds")
async def list_my_guilds() -> Response:
    principal = await current_principal()
    page = GuildPage(
        before=_optional_id("before"),
        after=_optional_id("after"),
        limit=_limit(),
        with_counts=_flag("with_counts"),
    )
    return json_response(await services().users.list_my_guilds(principal.user.id, page))


@blueprint.get("/@me/channels")
async def list_my_dms() -> Response:
    principal = await current_principal()
    return json_response(await services().users.list_my_dms(principal.user.id))


@blueprint.post("/@me/channels")
@document_request(OpenDmBody)
async def open_dm() -> Response:
    principal = await current_principal()
    body = await read_body(OpenDmBody)
    return json_response(await services().users.open_dm(principal.user, body.recipient_id))


@blueprint.get("/@me/settings")
async def get_my_settings() -> Response:
    principal = await current_principal()
    return json_response(await services().users.get_settings(principal.user))


@blueprint.patch("/@me/settings")
@document_request(ModifySettingsBody)
async def modify_my_settings() -> Response:
    principal = await current_principal()
    body = await read_body(ModifySettingsBody)
    sent = body.model_fields_set
    allow = body.allow_dms_from_anyone if "allow_dms_from_anyone" in sent else None
    return json_response(await services().users.modify_settings(principal.user, allow))


@blueprint.get("/<user_id>")
async def get_user(user_id: str) -> Response:
    await current_principal()
    user = await services().storage.users.get_user(parse_snowflake(user_id, "user_id"))
    if user is None:
        raise NotFound(Resource.USER)
    return json_response(user_shape(user))
