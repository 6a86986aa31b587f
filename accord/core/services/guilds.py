"""Guild use cases: create, read, modify (including ownership transfer), delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from accord.core.clock import Clock, utc_from_ms
from accord.core.entities import Channel, ChannelType, Guild, Member, Role
from accord.core.errors import LimitReached, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import DEFAULT_EVERYONE, Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    GuildRepository,
    GuildSnapshot,
    MemberRepository,
    RoleRepository,
)
from accord.core.services.access import guild_access
from accord.core.services.channel_visibility import visible_channels
from accord.core.shapes import JSON, channel_shape, guild_shape, member_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import validate_description, validate_name

# Discord's cap on guilds per account (error 30001).
MAX_GUILDS_PER_USER = 100
# Members embedded in a guild snapshot read for REST; the gateway asks for its own.
SNAPSHOT_MEMBERS = 100


@dataclass(frozen=True, slots=True)
class GuildChanges:
    """A PATCH: fields left as None are unchanged (``clear_*`` empties optional ones)."""

    name: object = None
    description: object = None
    clear_description: bool = False
    icon: object = None
    clear_icon: bool = False
    owner_id: object = None


def guild_create_payload(snapshot: GuildSnapshot, viewer: Member | None = None) -> JSON:
    """The guild as a full object: GUILD_CREATE's ``d`` and the guild-create response.

    With a ``viewer``, only the channels that member may see are listed.
    """
    shape = guild_shape(snapshot.guild, snapshot.roles, snapshot.member_count)
    channels = snapshot.channels if viewer is None else visible_channels(snapshot, viewer)
    shape.update(
        {
            "channels": [channel_shape(c) for c in channels],
            "members": [member_shape(m) for m in snapshot.members],
            "large": snapshot.member_count > SNAPSHOT_MEMBERS,
            "unavailable": False,
            "threads": [],
            "presences": [],
            "voice_states": [],
            "joined_at": None,
        }
    )
    return shape


class GuildServiceStorage(Protocol):
    """The repositories ``GuildService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def roles(self) -> RoleRepository: ...


class GuildService:
    def __init__(
        self, storage: GuildServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def create_guild(
        self, user_id: Snowflake, name: object, description: object = None
    ) -> JSON:
        """A new guild owned by the caller, with @everyone and a #general channel."""
        guild_name = validate_name(name)
        if len(await self._storage.guilds.list_user_guild_ids(user_id)) >= MAX_GUILDS_PER_USER:
            raise LimitReached("Maximum number of guilds reached (100)", 30001)
        guild_id = self._ids.next_id()
        guild = Guild(guild_id, guild_name, user_id, description=validate_description(description))
        everyone = Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE)
        general = Channel(self._ids.next_id(), ChannelType.GUILD_TEXT, guild_id, "general")
        await self._storage.guilds.create_guild(
            guild, everyone, [general], utc_from_ms(self._clock.now_ms())
        )
        snapshot = await self._snapshot(guild_id)
        payload = guild_create_payload(snapshot)
        await self._bus.publish(
            Event(
                "GUILD_CREATE",
                payload,
                guild_id=guild_id,
                user_ids=frozenset({user_id}),
                affects=frozenset({user_id}),
            )
        )
        return payload

    async def get_guild(self, user_id: Snowflake, guild_id: Snowflake, with_counts: bool) -> JSON:
        await guild_access(self._storage.access, guild_id, user_id)
        snapshot = await self._snapshot(guild_id, members=0)
        shape = guild_shape(snapshot.guild, snapshot.roles)
        if with_counts:
            shape["approximate_member_count"] = snapshot.member_count
            shape["approximate_presence_count"] = 0
        return shape

    async def modify_guild(
        self, user_id: Snowflake, guild_id: Snowflake, changes: GuildChanges
    ) -> JSON:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_GUILD)
        guild = await self._storage.guilds.get_guild(guild_id)
        if guild is None:
            raise NotFound(Resource.GUILD)
        updated = guild
        if changes.name is not None:
            updated = replace(updated, name=validate_name(changes.name))
        if changes.clear_description or changes.description is not None:
            updated = replace(updated, description=validate_description(changes.description))
        if changes.clear_icon or changes.icon is not None:
            updated = replace(updated, icon=None if changes.clear_icon else str(changes.icon))
        if changes.owner_id is not None:
            updated = replace(
                updated, owner_id=await self._new_owner(access.is_owner, guild_id, changes.owner_id)
            )
        saved = await self._storage.guilds.update_guild(updated)
        if saved is None:
            raise NotFound(Resource.GUILD)
        roles = await self._storage.roles.list_roles(guild_id)
        payload = guild_shape(saved, roles)
        await self._bus.publish(Event("GUILD_UPDATE", payload, guild_id=guild_id))
        return payload

    async def delete_guild(self, user_id: Snowflake, guild_id: Snowflake) -> None:
        """Only the owner may delete; every member's clients learn of it."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        if not access.is_owner:
            raise PermissionDenied()
        members = await self._storage.members.list_guild_member_ids(guild_id)
        if not await self._storage.guilds.delete_guild(guild_id):
            raise NotFound(Resource.GUILD)
        await self._bus.publish(
            Event(
                "GUILD_DELETE",
                {"id": str(guild_id), "unavailable": False},
                guild_id=guild_id,
                user_ids=frozenset(members),
                affects=frozenset(members),
            )
        )

    async def _new_owner(
        self, caller_is_owner: bool, guild_id: Snowflake, raw: object
    ) -> Snowflake:
        if not caller_is_owner:
            raise PermissionDenied("Only the owner can transfer ownership")
        owner_id = parse_snowflake(raw, "owner_id")
        if await self._storage.members.get_member(guild_id, owner_id) is None:
            raise ValidationError.single(
                "owner_id", "GUILD_OWNER_NOT_MEMBER", "The new owner must be a member of the guild."
            )
        return owner_id

    async def _snapshot(
        self, guild_id: Snowflake, members: int = SNAPSHOT_MEMBERS
    ) -> GuildSnapshot:
        snapshot = await self._storage.guilds.get_guild_snapshot(guild_id, members)
        if snapshot is None:
            raise NotFound(Resource.GUILD)
        return snapshot
