"""Reordering a guild's channels: positions, parents, and permission sync with the parent.

Besides MANAGE_CHANNELS in the guild, the caller must see and manage
(MANAGE_CHANNELS) every channel it moves and every category it moves one
into; a channel or category it cannot see is refused as if it did not exist.
A sync rewrites the channel's overwrites, so it needs MANAGE_ROLES in the
channel and obeys the overwrite-grant rule (overwrite_grants.py). Every check
passes before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.errors import PermissionDenied, ValidationError
from accord.core.events import Event
from accord.core.permissions import Permission, has_permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import AccessRepository, ChannelPosition, ChannelRepository
from accord.core.services.access import guild_access, managed_channel, permissions_in
from accord.core.services.overwrite_grants import require_grantable
from accord.core.shapes import channel_shape
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.core.validation import validate_int

POSITION_MAX = 10_000  # as for a single channel's PATCH
MOVES_MAX = 500  # a guild's channel cap: no request needs more


@dataclass(frozen=True, slots=True)
class ChannelMove:
    """One entry of the request; ``move_parent`` says whether parent_id was sent at all."""

    id: object
    position: object = None
    parent_id: object = None
    move_parent: bool = False
    lock_permissions: bool = False


class ChannelPositionServiceStorage(Protocol):
    """The repositories ``ChannelPositionService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...


class ChannelPositionService:
    def __init__(self, storage: ChannelPositionServiceStorage, bus: EventBus) -> None:
        self._storage = storage
        self._bus = bus

    async def reorder(
        self, user_id: Snowflake, guild_id: Snowflake, moves: Sequence[ChannelMove]
    ) -> None:
        """Apply every move together; CHANNEL_UPDATE for each channel that changed."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_CHANNELS)
        if any(m.lock_permissions for m in moves):
            access.require(Permission.MANAGE_ROLES)  # syncing rewrites overwrites
        if not 1 <= len(moves) <= MOVES_MAX:
            raise ValidationError.single(
                "_body", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MOVES_MAX} in length."
            )
        before = {c.id: c for c in await self._storage.channels.list_guild_channels(guild_id)}
        context = access.context
        positions = [_position(i, m, before, context) for i, m in enumerate(moves)]
        if len({p.id for p in positions}) != len(positions):
            raise ValidationError.single("_body", "BASE_TYPE_INVALID", "A channel appears twice.")
        locked = {p.id for p, m in zip(positions, moves, strict=True) if m.lock_permissions}
        for index, position in enumerate(positions):
            if position.id in locked:
                _require_sync(index, context, before[position.id], _new_parent(position, before))
        moved = await self._storage.channels.set_channel_positions(guild_id, positions)
        for channel in moved:
            old = before[channel.id]
            if channel.id in locked and channel.parent_id is not None:
                synced = await self._sync(channel, before[channel.parent_id])
                if synced is not None:
                    # Who may see it can change: the gateway judges each member.
                    await self._bus.publish(
                        Event(
                            "CHANNEL_UPDATE",
                            channel_shape(synced),
                            guild_id=guild_id,
                            channel_id=synced.id,
                        )
                    )
                    continue
            if (channel.position, channel.parent_id) != (old.position, old.parent_id):
                await self._bus.publish(
                    Event(
                        "CHANNEL_UPDATE",
                        channel_shape(channel),
                        guild_id=guild_id,
                        channel_id=channel.id,
                    )
                )

    async def _sync(self, channel: Channel, parent: Channel) -> Channel | None:
        """Give the channel its parent's overwrites; the updated channel, or None if unchanged.

        One write replaces the whole set, so no reader sees half a sync.
        """
        if set(channel.overwrites) == set(parent.overwrites):
            return None
        return await self._storage.channels.update_channel(channel, overwrites=parent.overwrites)


def _new_parent(position: ChannelPosition, channels: Mapping[Snowflake, Channel]) -> Channel | None:
    parent_id = position.parent_id if position.move_parent else channels[position.id].parent_id
    return None if parent_id is None else channels.get(parent_id)


def _require_sync(
    index: int, context: PermissionContext, channel: Channel, parent: Channel | None
) -> None:
    if parent is None:
        return  # nothing to sync with
    if managed_channel(parent, context) is None:  # the stored parent, when none was sent
        raise ValidationError.single(
            f"{index}.parent_id",
            "CHANNEL_PARENT_INVALID",
            "Parent must be a category of this guild.",
        )
    if not has_permission(permissions_in(channel, context), Permission.MANAGE_ROLES):
        raise PermissionDenied()
    require_grantable(context, channel, parent, channel.overwrites, parent.overwrites)


def _position(
    index: int,
    move: ChannelMove,
    channels: Mapping[Snowflake, Channel],
    context: PermissionContext,
) -> ChannelPosition:
    channel_id = parse_snowflake(move.id, f"{index}.id")
    channel = managed_channel(channels.get(channel_id), context)
    if channel is None:
        raise ValidationError.single(
            f"{index}.id", "CHANNEL_UNKNOWN", "Not a channel of this guild."
        )
    position = channel.position
    if move.position is not None:
        position = validate_int(move.position, f"{index}.position", 0, POSITION_MAX)
    if not move.move_parent:
        return ChannelPosition(channel_id, position)
    if move.parent_id is None:
        return ChannelPosition(channel_id, position, None, move_parent=True)
    parent_id = parse_snowflake(move.parent_id, f"{index}.parent_id")
    parent = managed_channel(channels.get(parent_id), context)
    if channel.type is ChannelType.GUILD_CATEGORY:
        raise ValidationError.single(
            f"{index}.parent_id", "BASE_TYPE_INVALID", "A category cannot have a parent."
        )
    if parent is None or parent.type is not ChannelType.GUILD_CATEGORY:
        raise ValidationError.single(
            f"{index}.parent_id",
            "CHANNEL_PARENT_INVALID",
            "Parent must be a category of this guild.",
        )
    return ChannelPosition(channel_id, position, parent_id, move_parent=True)
