"""``/channels/{id}``: read, modify, delete, permission overwrites, and messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response, request
from quart_schema import document_request

from accord.core.services.channels import ChannelChanges
from accord.core.services.message_compose import Draft
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.http.body import read_body
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.query import int_arg
from accord.http.ratelimit import MESSAGE_CREATE, rate_limited
from accord.http.responses import json_response, no_content

blueprint = Blueprint("channels", __name__, url_prefix="/channels")


class ModifyChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    topic: str | None = None
    position: int | None = None
    parent_id: str | int | None = None
    nsfw: bool | None = None
    rate_limit_per_user: int | None = None
    permission_overwrites: list[Any] | None = None


class OverwriteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: int
    allow: str | int | None = None
    deny: str | int | None = None


class MessageReferenceBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message_id: str | int
    channel_id: str | int | None = None
    guild_id: str | int | None = None
    fail_if_not_exists: bool | None = None


class CreateMessageBody(BaseModel):
    # The fields discord.py and other clients send; anything else is refused.
    model_config = ConfigDict(extra="forbid")
    content: str | None = None
    nonce: str | int | None = None
    enforce_nonce: bool = False
    tts: bool = False
    message_reference: MessageReferenceBody | None = None
    embeds: list[Any] | None = None
    allowed_mentions: dict[str, Any] | None = None
    components: list[Any] | None = None
    sticker_ids: list[Any] | None = None
    attachments: list[Any] | None = None
    flags: int | None = None
    poll: dict[str, Any] | None = None


class EditMessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str | None = None
    tts: bool = False  # discord.py sends it with every edit; an edit never speaks
    embeds: list[Any] | None = None
    allowed_mentions: dict[str, Any] | None = None
    components: list[Any] | None = None
    attachments: list[Any] | None = None
    flags: int | None = None


class BulkDeleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[str | int]


def _channel(channel_id: str) -> Snowflake:
    return parse_snowflake(channel_id, "channel_id")


@blueprint.get("/<channel_id>")
async def get_channel(channel_id: str) -> Response:
    principal = await current_principal()
    return json_response(await services().channels.get(principal.user.id, _channel(channel_id)))


@blueprint.patch("/<channel_id>")
@document_request(ModifyChannelBody)
async def modify_channel(channel_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(ModifyChannelBody)
    sent = body.model_fields_set
    changes = ChannelChanges(
        name=body.name,
        topic=body.topic,
        clear_topic="topic" in sent and body.topic is None,
        position=body.position,
        parent_id=body.parent_id,
        clear_parent="parent_id" in sent and body.parent_id is None,
        overwrites=body.permission_overwrites,
    )
    payload = await services().channels.modify(principal.user.id, _channel(channel_id), changes)
    return json_response(payload)


@blueprint.delete("/<channel_id>")
async def delete_channel(channel_id: str) -> Response:
    principal = await current_principal()
    return json_response(await services().channels.delete(principal.user.id, _channel(channel_id)))


@blueprint.put("/<channel_id>/permissions/<overwrite_id>")
@document_request(OverwriteBody)
async def put_overwrite(channel_id: str, overwrite_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(OverwriteBody)
    await services().channels.put_overwrite(
        principal.user.id, _channel(channel_id), overwrite_id, body.type, body.allow, body.deny
    )
    return no_content()


@blueprint.delete("/<channel_id>/permissions/<overwrite_id>")
async def delete_overwrite(channel_id: str, overwrite_id: str) -> Response:
    principal = await current_principal()
    await services().channels.delete_overwrite(
        principal.user.id, _channel(channel_id), overwrite_id
    )
    return no_content()


@blueprint.get("/<channel_id>/messages")
async def list_messages(channel_id: str) -> Response:
    principal = await current_principal()
    args = request.args
    page = await services().messages.history(
        principal.user.id,
        _channel(channel_id),
        before=args.get("before"),
        after=args.get("after"),
        around=args.get("around"),
        limit=int_arg("limit"),
    )
    return json_response(page)


@blueprint.post("/<channel_id>/messages")
@document_request(CreateMessageBody)
@rate_limited(MESSAGE_CREATE, scope=lambda: str((request.view_args or {}).get("channel_id")))
async def create_message(channel_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(CreateMessageBody)
    draft = Draft(
        content=body.content,
        nonce=body.nonce,
        enforce_nonce=body.enforce_nonce,
        tts=body.tts,
        reply_to=body.message_reference.message_id if body.message_reference else None,
    )
    # Stored and dispatched or neither: the route runs to completion (completion.py).
    payload = await services().messages.create(principal.user.id, _channel(channel_id), draft)
    return json_response(payload)


@blueprint.get("/<channel_id>/messages/<message_id>")
async def get_message(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    payload = await services().messages.get(principal.user.id, _channel(channel_id), message_id)
    return json_response(payload)


@blueprint.patch("/<channel_id>/messages/<message_id>")
@document_request(EditMessageBody)
async def edit_message(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(EditMessageBody)
    payload = await services().messages.edit(
        principal.user.id, _channel(channel_id), message_id, body.content
    )
    return json_response(payload)


@blueprint.delete("/<channel_id>/messages/<message_id>")
async def delete_message(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    await services().messages.delete(principal.user.id, _channel(channel_id), message_id)
    return no_content()


@blueprint.post("/<channel_id>/messages/bulk-delete")
@document_request(BulkDeleteBody)
async def bulk_delete(channel_id: str) -> Response:
    principal = await current_principal()
    body = await read_body(BulkDeleteBody)
    await services().messages.bulk_delete(principal.user.id, _channel(channel_id), body.messages)
    return no_content()


@blueprint.get("/<channel_id>/pins")
async def list_pins(channel_id: str) -> Response:
    principal = await current_principal()
    return json_response(await services().messages.pins(principal.user.id, _channel(channel_id)))


@blueprint.put("/<channel_id>/pins/<message_id>")
async def pin(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    await services().messages.set_pinned(principal.user.id, _channel(channel_id), message_id, True)
    return no_content()


@blueprint.delete("/<channel_id>/pins/<message_id>")
async def unpin(channel_id: str, message_id: str) -> Response:
    principal = await current_principal()
    await services().messages.set_pinned(principal.user.id, _channel(channel_id), message_id, False)
    return no_content()
