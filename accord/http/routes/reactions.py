"""Reactions on a message: add, remove, list who reacted, clear.

The emoji path segment arrives percent-decoded (``%F0%9F%91%8D`` is ``👍``,
``name%3Aid`` is ``name:id``); the service decides whether it is an emoji.
"""

from __future__ import annotations

from quart import Blueprint, Response

from accord.core.snowflake import Snowflake, parse_snowflake
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.query import int_arg
from accord.http.responses import json_response, no_content

blueprint = Blueprint("reactions", __name__)

_MESSAGE = "/channels/<channel_id>/messages/<message_id>/reactions"


def _channel(channel_id: str) -> Snowflake:
    return parse_snowflake(channel_id, "channel_id")


@blueprint.put(f"{_MESSAGE}/<emoji>/@me")
async def add_reaction(channel_id: str, message_id: str, emoji: str) -> Response:
    principal = await current_principal()
    await services().reactions.add(principal.user.id, _channel(channel_id), message_id, emoji)
    return no_content()


@blueprint.delete(f"{_MESSAGE}/<emoji>/<user_id>")
async def remove_reaction(channel_id: str, message_id: str, emoji: str, user_id: str) -> Response:
    """``user_id`` is ``@me`` for the caller's own reaction."""
    principal = await current_principal()
    await services().reactions.remove(
        principal.user.id, _channel(channel_id), message_id, emoji, user_id
    )
    return no_content()


@blueprint.get(f"{_MESSAGE}/<emoji>")
async def list_reaction_users(channel_id: str, message_id: str, emoji: str) -> Response:
    principal = await current_principal()
    users = await services().reactions.users(
        principal.user.id,
        _channel(channel_id),
        message_id,
        emoji,
        after=int_arg("after"),
        limit=int_arg("limit"),
    )
    return json_response(users)


@blueprint.delete(_MESSAGE)
async def clear_reactions(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    await services().reactions.clear(principal.user.id, _channel(channel_id), message_id)
    return no_content()


@blueprint.delete(f"{_MESSAGE}/<emoji>")
async def clear_emoji(channel_id: str, message_id: str, emoji: str) -> Response:
    principal = await current_principal()
    await services().reactions.clear(principal.user.id, _channel(channel_id), message_id, emoji)
    return no_content()
