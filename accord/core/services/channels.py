"""Guild channel use cases: list, create, read, modify, delete, overwrites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from accord.core.entities import Channel, ChannelType, PermissionContext, User
from accord.core.errors import NotFound, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import (
    OVERWRITABLE,
    Overwrite,
    OverwriteType,
    Permission,
    parse_permissions,
)
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import AccessRepository, ChannelRepository, UserRepository
from accord.core.services.access import (
    ChannelAccess,
    channel_access,
    guild_access,
    managed_channel,
    permissions_in,
)
from accord.core.services.overwrite_grants import require_creatable, require_grantable
from accord.core.shapes import JSON, channel_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import validate_int, validate_name, validate_topic

# Discord allows 500 channels per guild (error 30013).
MAX_CHANNELS_PER_GUILD = 500
# Overwrites one request may set on a channel: Discord's 250 roles would be
# the natural ceiling, but no real channel needs more than a handful, and the
# bound keeps one request's writes small.
MAX_OVERWRITES = 100
GUILD_CHANNEL_TYPES = (ChannelType.GUILD_TEXT, ChannelType.GUILD_CATEGORY)


@dataclass(frozen=True, slots=True)
class ChannelDraft:
    name: object
    type: object = 0
    topic: object = None
    parent_id: object = None
    position: object = None
    overwrites: object = None  # Discord's permission_overwrites; None: none


@dataclass(frozen=True, slots=True)
class ChannelChanges:
    """A PATCH: None leaves a field as it is; ``clear_parent`` moves to the top level."""

    name: object = None
    topic: object = None
    clear_topic: bool = False
    position: object = None
    parent_id: object = None
    clear_parent: bool = False
    overwrites: object = None  # None: unchanged; a list replaces them all


def parse_overwrites(raw: object, field: str = "permission_overwrites") -> tuple[Overwrite, ...]:
    """Discord's ``permission_overwrites`` list: ``{id, type, allow, deny}`` each."""
    if not isinstance(raw, list):
        raise ValidationError.single(field, "LIST_TYPE_CONVERT", "Must be a list.")
    if len(raw) > MAX_OVERWRITES:
        raise ValidationError.single(
            field, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_OVERWRITES} or fewer in length."
        )
    parsed: dict[int, Overwrite] = {}
    for index, item in enumerate(raw):
        where = f"{field}.{index}"
        if not isinstance(item, dict):
            raise ValidationError.single(where, "DICT_TYPE_CONVERT", "Must be an object.")
        target = parse_snowflake(item.get("id"), f"{where}.id")
        parsed[target] = _overwrite(
            target, item.get("type"), item.get("allow", 0), item.get("deny", 0), f"{where}."
        )
    return tuple(parsed.values())


def _overwrite(
    target: Snowflake, kind: object, allow: object, deny: object, where: str
) -> Overwrite:
    # ADMINISTRATOR is dropped: an overwrite cannot confer it, so it is not kept either.
    return Overwrite(
        id=target,
        type=OverwriteType(validate_int(kind, f"{where}type", 0, 1)),
        allow=parse_permissions(allow if allow is not None else 0, f"{where}allow") & OVERWRITABLE,
        deny=parse_permissions(deny if deny is not None else 0, f"{where}deny") & OVERWRITABLE,
    )


def _channel_type(raw: object) -> ChannelType:
    value = validate_int(raw, "type", 0, 100)
    for kind in GUILD_CHANNEL_TYPES:
        if kind.value == value:
            return kind
    raise ValidationError.single("type", "BASE_TYPE_CHOICES", "Value must be one of (0, 4).")


class ChannelServiceStorage(Protocol):
    """The repositories ``ChannelService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def users(self) -> UserRepository: ...


class ChannelService:
    def __init__(
        self, storage: ChannelServiceStorage, bus: EventBus, ids: SnowflakeGenerator
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids

    async def list_guild_channels(self, user_id: Snowflake, guild_id: Snowflake) -> list[JSON]:
        """The guild's channels the caller can see, in position order."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        channels = await self._storage.channels.list_guild_channels(guild_id)
        return [
            channel_shape(c)
            for c in channels
            if permissions_in(c, access.context) & Permission.VIEW_CHANNEL
        ]

    async def create(self, user_id: Snowflake, guild_id: Snowflake, draft: ChannelDraft) -> JSON:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_CHANNELS)
        kind = _channel_type(draft.type)
        existing = await self._storage.channels.list_guild_channels(guild_id)
        if len(existing) >= MAX_CHANNELS_PER_GUILD:
            raise ValidationError.single(
                "_body", "MAX_CHANNELS", "Maximum number of guild channels reached (500)"
            )
        overwrites = () if draft.overwrites is None else parse_overwrites(draft.overwrites)
        if overwrites:
            access.require(Permission.MANAGE_ROLES)
        parent = _parent(access.context, draft.parent_id, kind, existing)
        position = (
            validate_int(draft.position, "position", 0, 10_000)
            if draft.position is not None
            else max((c.position for c in existing), default=-1) + 1
        )
        channel = Channel(
            id=self._ids.next_id(),
            type=kind,
            guild_id=guild_id,
            name=validate_name(draft.name),
            topic=validate_topic(draft.topic) if kind is ChannelType.GUILD_TEXT else None,
            position=position,
            parent_id=None if parent is None else parent.id,
            overwrites=overwrites,
        )
        if overwrites:
            require_creatable(access.context, channel, parent)
        created = await self._storage.channels.create_channel(channel)
        payload = channel_shape(created)
        await self._bus.publish(
            Event("CHANNEL_CREATE", payload, guild_id=guild_id, channel_id=created.id)
        )
        return payload

    async def get(self, user_id: Snowflake, channel_id: Snowflake) -> JSON:
        access = await channel_access(self._storage.access, channel_id, user_id)
        recipients: tuple[User, ...] = ()
        if access.channel.recipient_ids:
            recipients = tuple(
                u
                for u in await self._storage.users.get_users(list(access.channel.recipient_ids))
                if u.id != user_id
            )
        return channel_shape(access.channel, recipients)

    async def modify(
        self, user_id: Snowflake, channel_id: Snowflake, changes: ChannelChanges
    ) -> JSON:
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if channel.guild_id is None:
            raise NotFound(Resource.CHANNEL)
        access.require(Permission.MANAGE_CHANNELS)
        updated = channel
        if changes.name is not None:
            updated = replace(updated, name=validate_name(changes.name))
        if changes.clear_topic or changes.topic is not None:
            updated = replace(updated, topic=validate_topic(changes.topic))
        if changes.position is not None:
            updated = replace(
                updated, position=validate_int(changes.position, "position", 0, 10_000)
            )
        parent: Channel | None = None
        if changes.clear_parent:
            updated = replace(updated, parent_id=None)
        elif changes.parent_id is not None:
            siblings = await self._storage.channels.list_guild_channels(channel.guild_id)
            parent = _parent(_context(access), changes.parent_id, channel.type, siblings)
            updated = replace(updated, parent_id=None if parent is None else parent.id)
        overwrites = None
        if changes.overwrites is not None:
            overwrites = parse_overwrites(changes.overwrites)
            access.require(Permission.MANAGE_ROLES)
            if parent is None and updated.parent_id is not None:
                parent = await self._storage.channels.get_channel(updated.parent_id)
            require_grantable(_context(access), updated, parent, channel.overwrites, overwrites)
        saved = await self._storage.channels.update_channel(updated, overwrites=overwrites)
        if saved is None:
            raise NotFound(Resource.CHANNEL)
        payload = channel_shape(saved)
        await self._bus.publish(
            Event("CHANNEL_UPDATE", payload, guild_id=channel.guild_id, channel_id=channel.id)
        )
        return payload

    async def delete(self, user_id: Snowflake, channel_id: Snowflake) -> JSON:
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if channel.guild_id is None:
            raise NotFound(Resource.CHANNEL)
        access.require(Permission.MANAGE_CHANNELS)
        payload = channel_shape(channel)
        if not await self._storage.channels.delete_channel(channel_id):
            raise NotFound(Resource.CHANNEL)
        # To those who could see it: the gateway judges by its view from before the delete.
        await self._bus.publish(
            Event("CHANNEL_DELETE", payload, guild_id=channel.guild_id, channel_id=channel_id)
        )
        return payload

    async def put_overwrite(
        self,
        user_id: Snowflake,
        channel_id: Snowflake,
        target_id: object,
        kind: object,
        allow: object,
        deny: object,
    ) -> None:
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if channel.guild_id is None:
            raise NotFound(Resource.CHANNEL)
        access.require(Permission.MANAGE_ROLES)
        overwrite = _overwrite(parse_snowflake(target_id, "overwrite_id"), kind, allow, deny, "")
        after = [o for o in channel.overwrites if o.id != overwrite.id] + [overwrite]
        await self._require_grantable(access, after)
        await self._storage.channels.put_overwrite(channel_id, overwrite)
        await self._publish_update(channel_id, channel.guild_id)

    async def delete_overwrite(
        self, user_id: Snowflake, channel_id: Snowflake, target_id: object
    ) -> None:
        access = await channel_access(self._storage.access, channel_id, user_id)
        channel = access.channel
        if channel.guild_id is None:
            raise NotFound(Resource.CHANNEL)
        access.require(Permission.MANAGE_ROLES)
        target = parse_snowflake(target_id, "overwrite_id")
        await self._require_grantable(access, [o for o in channel.overwrites if o.id != target])
        if not await self._storage.channels.delete_overwrite(channel_id, target):
            raise NotFound(Resource.OVERWRITE)
        await self._publish_update(channel_id, channel.guild_id)

    async def _require_grantable(self, access: ChannelAccess, after: Sequence[Overwrite]) -> None:
        channel = access.channel
        parent = None
        if channel.parent_id is not None:
            parent = await self._storage.channels.get_channel(channel.parent_id)
        require_grantable(_context(access), channel, parent, channel.overwrites, after)

    async def _publish_update(self, channel_id: Snowflake, guild_id: Snowflake) -> None:
        saved = await self._storage.channels.get_channel(channel_id)
        if saved is not None:
            # Who can see the channel may have changed: the gateway tells those
            # who lost sight of it CHANNEL_DELETE, those who gained it CHANNEL_CREATE.
            await self._bus.publish(
                Event(
                    "CHANNEL_UPDATE", channel_shape(saved), guild_id=guild_id, channel_id=saved.id
                )
            )


def _context(access: ChannelAccess) -> PermissionContext:
    if access.guild is None:  # callers have refused DMs already
        raise NotFound(Resource.CHANNEL)
    return access.guild.context


def _parent(
    context: PermissionContext, raw: object, kind: ChannelType, channels: Sequence[Channel]
) -> Channel | None:
    """The category ``raw`` names, if the caller may see and manage it.

    One the caller cannot see is refused as if it did not exist.
    """
    if raw is None:
        return None
    parent_id = parse_snowflake(raw, "parent_id")
    if kind is ChannelType.GUILD_CATEGORY:
        raise ValidationError.single(
            "parent_id", "BASE_TYPE_INVALID", "A category cannot have a parent."
        )
    parent = managed_channel(next((c for c in channels if c.id == parent_id), None), context)
    if parent is None or parent.type is not ChannelType.GUILD_CATEGORY:
        raise ValidationError.single(
            "parent_id", "CHANNEL_PARENT_INVALID", "Parent must be a category of this guild."
        )
    return parent
