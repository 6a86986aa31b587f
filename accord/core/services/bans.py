"""Use cases for bans: list, read, ban (with recent-message deletion) and unban."""

from __future__ import annotations

from typing import Protocol

from accord.core.clock import Clock
from accord.core.entities import Ban, User
from accord.core.errors import NotFound, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    BanRepository,
    MemberRepository,
    MessageRepository,
    RoleRepository,
    UserRepository,
)
from accord.core.services.access import GuildAccess, guild_access
from accord.core.services.departures import publish_departure
from accord.core.services.hierarchy import require_outranks_member, roles_by_id
from accord.core.services.message_purge import purge_recent_messages
from accord.core.shapes import JSON, user_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake, snowflake_at
from accord.core.validation import validate_int, validate_reason

BAN_PAGE_DEFAULT, BAN_PAGE_MAX = 1000, 1000  # Discord's defaults for list bans
# Discord deletes at most the last seven days of a banned user's messages.
MAX_DELETE_SECONDS = 604_800
MAX_DELETE_DAYS = 7


def ban_shape(ban: Ban) -> JSON:
    return {"reason": ban.reason, "user": user_shape(ban.user)}


def _delete_seconds(seconds: object, days: object) -> int:
    """Discord's ``delete_message_seconds``, or its deprecated ``delete_message_days``."""
    if seconds is not None:
        return validate_int(seconds, "delete_message_seconds", 0, MAX_DELETE_SECONDS)
    if days is not None:
        return validate_int(days, "delete_message_days", 0, MAX_DELETE_DAYS) * 86_400
    return 0


class BanServiceStorage(Protocol):
    """The repositories ``BanService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def bans(self) -> BanRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def users(self) -> UserRepository: ...


class BanService:
    def __init__(
        self, storage: BanServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def list_bans(
        self,
        user_id: Snowflake,
        guild_id: Snowflake,
        *,
        limit: object = None,
        after: object = None,
        before: object = None,
    ) -> list[JSON]:
        """Bans in user-id order after ``after``."""
        await self._moderator(user_id, guild_id)
        if before is not None:
            # Refused rather than ignored: an ignored ``before`` would answer the wrong page.
            raise ValidationError.single("before", "BASE_TYPE_INVALID", "Use after to page bans.")
        count = BAN_PAGE_DEFAULT if limit is None else validate_int(limit, "limit", 1, BAN_PAGE_MAX)
        anchor = None if after is None else parse_snowflake(after, "after")
        bans = await self._storage.bans.list_bans(guild_id, after=anchor, limit=count)
        return [ban_shape(b) for b in bans]

    async def get_ban(self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake) -> JSON:
        await self._moderator(user_id, guild_id)
        ban = await self._storage.bans.get_ban(guild_id, target_id)
        if ban is None:
            raise NotFound(Resource.BAN)
        return ban_shape(ban)

    async def ban(
        self,
        user_id: Snowflake,
        guild_id: Snowflake,
        target_id: Snowflake,
        *,
        delete_message_seconds: object = None,
        delete_message_days: object = None,
        reason: object = None,
    ) -> None:
        """Ban a member or any other user; a member is removed in the same step."""
        access = await self._moderator(user_id, guild_id)
        seconds = _delete_seconds(delete_message_seconds, delete_message_days)
        why = validate_reason(reason)
        member = await self._storage.members.get_member(guild_id, target_id)
        if member is not None:
            roles = roles_by_id(await self._storage.roles.list_roles(guild_id))
            require_outranks_member(access, member, roles)
        user = member.user if member is not None else await self._user(target_id)
        if not await self._storage.bans.ban(guild_id, target_id, why, user_id):
            return  # already banned: the first ban stands, as on Discord
        payload = {"guild_id": str(guild_id), "user": user_shape(user)}
        # A banned member's view of the guild ends here: the gateway drops them
        # from its audience before this event, so only those who remain see it.
        gone = frozenset({target_id}) if member is not None else frozenset()
        await self._bus.publish(Event("GUILD_BAN_ADD", payload, guild_id=guild_id, affects=gone))
        if member is not None:
            await publish_departure(self._bus, guild_id, user)
        if seconds:
            since = snowflake_at(self._clock.now_ms() - seconds * 1000)
            await purge_recent_messages(
                self._storage.messages, self._bus, guild_id, target_id, since
            )

    async def unban(self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake) -> None:
        await self._moderator(user_id, guild_id)
        ban = await self._storage.bans.get_ban(guild_id, target_id)
        if ban is None or not await self._storage.bans.unban(guild_id, target_id):
            raise NotFound(Resource.BAN)
        payload = {"guild_id": str(guild_id), "user": user_shape(ban.user)}
        await self._bus.publish(Event("GUILD_BAN_REMOVE", payload, guild_id=guild_id))

    async def _moderator(self, user_id: Snowflake, guild_id: Snowflake) -> GuildAccess:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.BAN_MEMBERS)
        return access

    async def _user(self, user_id: Snowflake) -> User:
        user = await self._storage.users.get_user(user_id)
        if user is None:
            raise NotFound(Resource.USER)
        return user
