"""Reaction use cases: react, take a reaction back, remove others', list who reacted."""

from __future__ import annotations

from typing import Protocol

from accord.core.clock import Clock
from accord.core.entities import Channel, Emoji, Message
from accord.core.errors import LimitReached, NotFound, Resource
from accord.core.permissions import Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    MemberRepository,
    MessageRepository,
    ReactionRepository,
    UserRepository,
)
from accord.core.services.access import channel_access
from accord.core.services.audience import channel_event
from accord.core.services.dm_consent import require_dm_open
from accord.core.services.emoji import parse_emoji, same_emoji
from accord.core.shapes import JSON, emoji_shape, member_shape, user_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import validate_int

# Discord's cap on distinct emoji per message (error 30010).
MAX_DISTINCT_REACTIONS = 20
USERS_DEFAULT, USERS_MAX = 25, 100


class ReactionServiceStorage(Protocol):
    """The repositories ``ReactionService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def reactions(self) -> ReactionRepository: ...
    @property
    def users(self) -> UserRepository: ...


class ReactionService:
    def __init__(
        self, storage: ReactionServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def add(
        self, user_id: Snowflake, channel_id: Snowflake, message_id: object, raw_emoji: str
    ) -> None:
        """React as the caller; ADD_REACTIONS is needed only to bring a new emoji to the message.

        In a DM, only while the caller may message the other recipient (taking
        a reaction back stays possible).
        """
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.READ_MESSAGE_HISTORY)
        await require_dm_open(self._storage.users, access.channel, user_id)
        target, emoji = parse_snowflake(message_id, "message_id"), parse_emoji(raw_emoji)
        message = await self._message(channel_id, target, user_id)
        if not any(same_emoji(r.emoji, emoji) for r in message.reactions):
            access.require(Permission.ADD_REACTIONS)
            if len(message.reactions) >= MAX_DISTINCT_REACTIONS:
                raise LimitReached("Maximum number of reactions reached (20)", 30010)
        added = await self._storage.reactions.add_reaction(channel_id, target, user_id, emoji)
        if added is None:
            raise NotFound(Resource.MESSAGE)
        if added:
            data = self._base(access.channel, target, emoji, user_id)
            data.update(message_author_id=str(message.author.id), burst=False, type=0)
            if access.channel.guild_id is not None:
                member = await self._storage.members.get_member(access.channel.guild_id, user_id)
                if member is not None:
                    data["member"] = member_shape(member)
            await self._bus.publish(channel_event("MESSAGE_REACTION_ADD", data, access.channel))

    async def remove(
        self,
        user_id: Snowflake,
        channel_id: Snowflake,
        message_id: object,
        raw_emoji: str,
        reactor: object,
    ) -> None:
        """Take back the caller's reaction (``reactor`` "@me"), or anyone's with MANAGE_MESSAGES."""
        access = await channel_access(self._storage.access, channel_id, user_id)
        reactor_id = user_id if reactor == "@me" else parse_snowflake(reactor, "user_id")
        if reactor_id != user_id:
            access.require(Permission.MANAGE_MESSAGES)
        target, emoji = parse_snowflake(message_id, "message_id"), parse_emoji(raw_emoji)
        reactions = self._storage.reactions
        if not await reactions.remove_reaction(channel_id, target, reactor_id, emoji):
            # Nothing to take back is fine; a message that is not there is not.
            await self._message(channel_id, target, user_id)
            return
        data = self._base(access.channel, target, emoji, reactor_id)
        data.update(burst=False, type=0)
        await self._bus.publish(channel_event("MESSAGE_REACTION_REMOVE", data, access.channel))

    async def users(
        self,
        user_id: Snowflake,
        channel_id: Snowflake,
        message_id: object,
        raw_emoji: str,
        *,
        after: object = None,
        limit: object = None,
    ) -> list[JSON]:
        """Who reacted with the emoji, in user-id order after ``after``."""
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.READ_MESSAGE_HISTORY)
        target, emoji = parse_snowflake(message_id, "message_id"), parse_emoji(raw_emoji)
        count = USERS_DEFAULT if limit is None else validate_int(limit, "limit", 1, USERS_MAX)
        start = None if after is None else parse_snowflake(after, "after")
        # The reaction table knows messages only by id: make sure this one is in the channel.
        await self._message(channel_id, target, user_id)
        found = await self._storage.reactions.list_reaction_users(
            target, emoji, after=start, limit=count
        )
        return [user_shape(u) for u in found]

    async def clear(
        self,
        user_id: Snowflake,
        channel_id: Snowflake,
        message_id: object,
        raw_emoji: str | None = None,
    ) -> None:
        """Remove every reaction of the message, or every one with ``raw_emoji``."""
        access = await channel_access(self._storage.access, channel_id, user_id)
        access.require(Permission.MANAGE_MESSAGES)
        target = parse_snowflake(message_id, "message_id")
        emoji = None if raw_emoji is None else parse_emoji(raw_emoji)
        removed = await self._storage.reactions.remove_all_reactions(channel_id, target, emoji)
        if removed is None:
            raise NotFound(Resource.MESSAGE)
        if not removed:
            return
        data: JSON = {"channel_id": str(channel_id), "message_id": str(target)}
        if access.channel.guild_id is not None:
            data["guild_id"] = str(access.channel.guild_id)
        kind = "MESSAGE_REACTION_REMOVE_ALL"
        if emoji is not None:
            data["emoji"] = emoji_shape(emoji)
            kind = "MESSAGE_REACTION_REMOVE_EMOJI"
        await self._bus.publish(channel_event(kind, data, access.channel))

    async def _message(
        self, channel_id: Snowflake, message_id: Snowflake, viewer_id: Snowflake
    ) -> Message:
        message = await self._storage.messages.get_message(channel_id, message_id, viewer_id)
        if message is None:
            raise NotFound(Resource.MESSAGE)
        return message

    @staticmethod
    def _base(channel: Channel, message_id: Snowflake, emoji: Emoji, user_id: Snowflake) -> JSON:
        data: JSON = {
            "user_id": str(user_id),
            "channel_id": str(channel.id),
            "message_id": str(message_id),
            "emoji": emoji_shape(emoji),
        }
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        return data
