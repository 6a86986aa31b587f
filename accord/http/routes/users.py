"""``/users``: the caller's own account, and other users' public profiles."""

from __future__ import annotations

from quart import Blueprint, Response

from accord.core.errors import NotFound, Resource
from accord.core.shapes import current_user_shape, user_shape
from accord.core.snowflake import parse_snowflake
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.responses import json_response

blueprint = Blueprint("users", __name__, url_prefix="/users")


@blueprint.get("/@me")
async def get_me() -> Response:
    principal = await current_principal()
    account = None
    if not principal.user.bot:
        account = await services().storage.users.get_account(principal.user.id)
    return json_response(current_user_shape(account, principal.user))


@blueprint.get("/<user_id>")
async def get_user(user_id: str) -> Response:
    await current_principal()
    user = await services().storage.users.get_user(parse_snowflake(user_id, "user_id"))
    if user is None:
        raise NotFound(Resource.USER)
    return json_response(user_shape(user))
