"""Guild message search: PostgreSQL full text, over the channels the caller may read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from accord.core.errors import ValidationError
from accord.core.permissions import Permission, has_permission
from accord.core.ports.storage import (
    AccessRepository,
    ChannelRepository,
    MessageRepository,
    UserRepository,
)
from accord.core.services.access import guild_access, permissions_in
from accord.core.shapes import JSON, message_shape
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.core.validation import validate_int

LIMIT_DEFAULT, LIMIT_MAX = 25, 25  # Discord's page size, which is also its maximum
OFFSET_MAX = 5000
QUERY_MAX = 1024  # Discord's limit on the content filter
_READ = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Search parameters as the client gave them; validated by the service."""

    content: object
    limit: object = None
    offset: object = None
    channel_ids: Sequence[object] = field(default_factory=tuple)


def _content(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single("content", "BASE_TYPE_REQUIRED", "Give the text to search.")
    if len(value) > QUERY_MAX or "\x00" in value:
        raise ValidationError.single(
            "content", "BASE_TYPE_BAD_LENGTH", f"Must be at most {QUERY_MAX} characters."
        )
    return value


class SearchServiceStorage(Protocol):
    """The repositories ``SearchService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def users(self) -> UserRepository: ...


class SearchService:
    def __init__(self, storage: SearchServiceStorage) -> None:
        self._storage = storage

    async def search(self, user_id: Snowflake, guild_id: Snowflake, query: SearchQuery) -> JSON:
        """Matches newest first, each as a one-message list (Discord's context-free shape)."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        text = _content(query.content)
        limit = LIMIT_DEFAULT
        if query.limit is not None:
            limit = validate_int(query.limit, "limit", 1, LIMIT_MAX)
        offset = 0 if query.offset is None else validate_int(query.offset, "offset", 0, OFFSET_MAX)
        wanted = {parse_snowflake(c, "channel_id") for c in query.channel_ids}
        readable = [
            c.id
            for c in await self._storage.channels.list_guild_channels(guild_id)
            if c.type.holds_messages
            and (not wanted or c.id in wanted)
            and has_permission(permissions_in(c, access.context), _READ)
        ]
        if not readable:
            return {"messages": [], "total_results": 0}
        found, total = await self._storage.messages.search_messages(
            guild_id, readable, text, user_id, limit=limit, offset=offset
        )
        mentioned = list({i for m in found for i in m.mention_ids})
        users = (
            {u.id: u for u in await self._storage.users.get_users(mentioned)} if mentioned else {}
        )
        return {
            "messages": [
                [{**message_shape(m, [users[i] for i in m.mention_ids if i in users]), "hit": True}]
                for m in found
            ],
            "total_results": total,
        }
