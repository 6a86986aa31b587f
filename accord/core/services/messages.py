"""Message use cases: history, send, edit, delete, bulk delete, pins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from accord.core.clock import Clock, utc_from_ms
from accord.core.entities import Channel, Message, NewMessage, PermissionContext
from accord.core.errors import Conflict, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    ChannelContext,
    MessageRepository,
    UserRepository,
)
from accord.core.services.access import channel_access
from accord.core.services.message_compose import Draft, compose_message, mentioned_users
from accord.core.shapes import JSON, message_shape, partial_member_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake, snowflake_at
from accord.core.validation import validate_content, validate_int

HISTORY_DEFAULT, HISTORY_MAX = 50, 100
BULK_MIN, BULK_MAX = 2, 100
# Discord refuses to bulk-delete messages older than two weeks (50034).
BULK_MAX_AGE = timedelta(days=14)


def _event(
    kind: str, data: JSON, channel: Channel, author: PermissionContext | None = None
) -> Event:
    """An event for whoever can see ``channel``: its recipients, or its viewers in the guild.

    Guild message events carry the author's partial ``member``, as Discord's do
    (clients such as discord.py then make the author a Member, not a User).
    """
    if channel.guild_id is None:
        return Event(kind, data, user_ids=frozenset(channel.recipient_ids))
    if author is not None and author.is_member and author.joined_at is not None:
        data = {**data, "member": partial_member_shape(author)}
    return Event(kind, data, guild_id=channel.guild_id, channel_id=channel.id)


class MessageServiceStorage(Protocol):
    """The repositories ``MessageService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def users(self) -> UserRepository: ...


class MessageService:
    def __init__(
        self, storage: MessageServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def create(self, user_id: Snowflake, channel_id: Snowflake, draft: Draft) -> JSON:
        # Drawn here, not in compose: that may run on storage's thread.
        message_id = self._ids.next_id()

        def compose(found: ChannelContext | None) -> NewMessage:
            return compose_message(found, draft, message_id, user_id)

        # One storage crossing for the access check, the reply check and the insert.
        sent = await self._storage.messages.send_message(
            channel_id, user_id, compose, enforce_nonce=draft.enforce_nonce
        )
        if sent is None:
            raise ValidationError.single(
                "message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message"
            )
        payload = await self._shape(sent.message)
        if sent.message.id == message_id:  # not an earlier send returned for a repeated nonce
            await self._bus.publish(_event("MESSAGE_CREATE", payload, sent.channel, sent.context))
        return payload

    async def get(self, user_id: Snowflake, channel_id: Snowflake, message_id: object) -> JSON:
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.READ_MESSAGE_HISTORY)
        message = await self._storage.messages.get_message(
            channel_id, parse_snowflake(message_id, "message_id"), user_id
        )
        if message is None:
            raise NotFound(Resource.MESSAGE)
        return await self._shape(message)

    async def history(
        self,
        user_id: Snowflake,
        channel_id: Snowflake,
        *,
        before: object = None,
        after: object = None,
        around: object = None,
        limit: object = None,
    ) -> list[JSON]:
        """Newest first; at most one of before/after/around, as Discord allows."""
        access = await channel_access(self._storage.access, channel_id, user_id)
        if not access.channel.type.holds_messages:
            raise Conflict("Cannot send messages in a non-text channel", discord_code=50008)
        count = HISTORY_DEFAULT if limit is None else validate_int(limit, "limit", 1, HISTORY_MAX)
        anchors = {
            k: v
            for k, v in (("before", before), ("after", after), ("around", around))
            if v is not None
        }
        if len(anchors) > 1:
            raise ValidationError.single(
                "before", "BASE_TYPE_INVALID", "Use at most one of before, after and around."
            )
        if not access.permissions & Permission.READ_MESSAGE_HISTORY:
            return []  # Discord answers an empty page rather than 403
        parsed = {k: parse_snowflake(v, k) for k, v in anchors.items()}
        messages = await self._storage.messages.list_messages(
            channel_id, user_id, limit=count, **parsed
        )
        return await self._shapes(messages)

    async def edit(
        self, user_id: Snowflake, channel_id: Snowflake, message_id: object, content: object
    ) -> JSON:
        access = await channel_access(self._storage.access, channel_id, user_id)
        target = parse_snowflake(message_id, "message_id")
        current = await self._storage.messages.get_message(channel_id, target, user_id)
        if current is None:
            raise NotFound(Resource.MESSAGE)
        if current.author.id != user_id:
            raise PermissionDenied("Cannot edit a message authored by another user")
        text = validate_content(content)
        message = await self._storage.messages.update_message(
            channel_id,
            target,
            content=text,
            mention_ids=mentioned_users(text),
            edited_at=utc_from_ms(self._clock.now_ms()),
            viewer_id=user_id,
        )
        if message is None:
            raise NotFound(Resource.MESSAGE)
        payload = await self._shape(message)
        author = None if access.guild is None else access.guild.context
        await self._bus.publish(_event("MESSAGE_UPDATE", payload, access.channel, author))
        return payload

    async def delete(self, user_id: Snowflake, channel_id: Snowflake, message_id: object) -> None:
        access = await channel_access(self._storage.access, channel_id, user_id)
        target = parse_snowflake(message_id, "message_id")
        message = await self._storage.messages.get_message(channel_id, target, user_id)
        if message is None:
            raise NotFound(Resource.MESSAGE)
        if message.author.id != user_id:
            access.require(Permission.MANAGE_MESSAGES)
        if not await self._storage.messages.delete_message(channel_id, target):
            raise NotFound(Resource.MESSAGE)
        await self._publish_deleted(access.channel, [target])

    async def bulk_delete(
        self, user_id: Snowflake, channel_id: Snowflake, message_ids: Sequence[object]
    ) -> None:
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.MANAGE_MESSAGES)
        if not BULK_MIN <= len(message_ids) <= BULK_MAX:
            raise ValidationError.single(
                "messages", "BASE_TYPE_BAD_LENGTH", f"Must be between {BULK_MIN} and {BULK_MAX}."
            )
        ids = list(
            dict.fromkeys(parse_snowflake(m, f"messages.{i}") for i, m in enumerate(message_ids))
        )
        oldest = snowflake_at(self._clock.now_ms() - int(BULK_MAX_AGE.total_seconds() * 1000))
        if any(i < oldest for i in ids):
            raise Conflict(
                "You can only bulk delete messages that are under 14 days old.",
                code="MESSAGES_TOO_OLD",
                discord_code=50034,
            )
        deleted = await self._storage.messages.bulk_delete_messages(channel_id, ids)
        if deleted:
            await self._publish_deleted(access.channel, deleted)

    async def pins(self, user_id: Snowflake, channel_id: Snowflake) -> list[JSON]:
        access = await channel_access(self._storage.access, channel_id, user_id)
        if not access.permissions & Permission.READ_MESSAGE_HISTORY:
            return []
        return await self._shapes(await self._storage.messages.list_pins(channel_id, user_id))

    async def set_pinned(
        self, user_id: Snowflake, channel_id: Snowflake, message_id: object, pinned: bool
    ) -> None:
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.MANAGE_MESSAGES)
        target = parse_snowflake(message_id, "message_id")
        changed = await self._storage.messages.set_pinned(channel_id, target, pinned)
        if changed is None:
            raise NotFound(Resource.MESSAGE)
        if changed:
            channel = access.channel
            payload: JSON = {"channel_id": str(channel.id), "last_pin_timestamp": None}
            if channel.guild_id is not None:
                payload["guild_id"] = str(channel.guild_id)
            await self._bus.publish(_event("CHANNEL_PINS_UPDATE", payload, channel))

    async def _publish_deleted(self, channel: Channel, ids: Sequence[Snowflake]) -> None:
        base: JSON = {"channel_id": str(channel.id)}
        if channel.guild_id is not None:
            base["guild_id"] = str(channel.guild_id)
        if len(ids) == 1:
            event = _event("MESSAGE_DELETE", {"id": str(ids[0]), **base}, channel)
        else:
            event = _event("MESSAGE_DELETE_BULK", {"ids": [str(i) for i in ids], **base}, channel)
        await self._bus.publish(event)

    async def _shape(self, message: Message) -> JSON:
        return (await self._shapes([message]))[0]

    async def _shapes(self, messages: Sequence[Message]) -> list[JSON]:
        """Shapes with mentioned users resolved in one read for the whole page."""
        wanted = {i for m in messages for i in m.mention_ids}
        users = (
            {u.id: u for u in await self._storage.users.get_users(list(wanted))} if wanted else {}
        )
        return [message_shape(m, [users[i] for i in m.mention_ids if i in users]) for m in messages]
