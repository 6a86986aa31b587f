"""``PATCH /guilds/{id}/channels``: reorder channels."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel
from quart import Blueprint, Response
from quart_schema import document_request

from accord.core.services.channel_positions import ChannelMove
from accord.core.snowflake import parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.exact import ExactBool, ExactInt
from accord.http.principal import current_principal
from accord.http.responses import no_content

blueprint = Blueprint("channel_positions", __name__)


class ChannelPositionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int
    position: ExactInt | None = None
    parent_id: str | int | None = None
    lock_permissions: ExactBool = False


class ChannelPositionsBody(RootModel[list[ChannelPositionBody]]):
    pass


@blueprint.patch("/guilds/<guild_id>/channels")
@document_request(ChannelPositionsBody)
async def reorder_channels(guild_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(ChannelPositionsBody)
    moves = [
        ChannelMove(
            id=item.id,
            position=item.position,
            parent_id=item.parent_id,
            move_parent="parent_id" in item.model_fields_set,
            lock_permissions=item.lock_permissions,
        )
        for item in body.root
    ]
    await services().channel_positions.reorder(
        principal.user.id, parse_snowflake(guild_id, "guild_id"), moves
    )
    return no_content()
