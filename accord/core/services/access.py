"""Permission checks that every use case shares.

A resource the caller may not see is reported as unknown (404), so its
existence is not revealed; one the caller sees but may not act on is
MISSING_PERMISSIONS (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.entities import Channel, ChannelType, PermissionContext
from accord.core.errors import NotFound, PermissionDenied, Resource
from accord.core.permissions import (
    NONE,
    Permission,
    base_permissions,
    channel_permissions,
    has_permission,
)
from accord.core.ports.storage import AccessRepository, ChannelContext
from accord.core.snowflake import Snowflake


@dataclass(frozen=True, slots=True)
class GuildAccess:
    context: PermissionContext
    permissions: Permission

    @property
    def is_owner(self) -> bool:
        return self.context.owner_id == self.context.user_id

    def require(self, permission: Permission) -> None:
        if not has_permission(self.permissions, permission):
            raise PermissionDenied()


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    channel: Channel
    permissions: Permission
    guild: GuildAccess | None  # None for DMs

    def require(self, permission: Permission) -> None:
        if not has_permission(self.permissions, permission):
            raise PermissionDenied()


# What a DM recipient may do in the DM: Discord's implicit DM permissions.
DM_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
)


def guild_permissions_of(context: PermissionContext) -> Permission:
    if not context.is_member:
        return NONE
    return base_permissions(
        is_owner=context.owner_id == context.user_id,
        everyone=context.everyone,
        roles=context.role_permissions,
    )


def permissions_in(channel: Channel, context: PermissionContext) -> Permission:
    return channel_permissions(
        guild_permissions_of(context),
        guild_id=context.guild_id,
        member_id=context.user_id,
        member_role_ids=context.member_role_ids,
        overwrites=channel.overwrites,
    )


def managed_channel(channel: Channel | None, context: PermissionContext) -> Channel | None:
    """``channel`` if the caller sees it (None, as if unknown, otherwise).

    PermissionDenied if it sees the channel but may not manage it
    (MANAGE_CHANNELS there): moving channels and choosing parents need both.
    """
    if channel is None:
        return None
    permissions = permissions_in(channel, context)
    if not permissions & Permission.VIEW_CHANNEL:
        return None
    if not has_permission(permissions, Permission.MANAGE_CHANNELS):
        raise PermissionDenied()
    return channel


async def guild_access(
    access: AccessRepository, guild_id: Snowflake, user_id: Snowflake
) -> GuildAccess:
    """The caller's standing in a guild; NotFound unless they are a member."""
    context = await access.permission_context(guild_id, user_id)
    if context is None or not context.is_member:
        raise NotFound(Resource.GUILD)
    return GuildAccess(context, guild_permissions_of(context))


async def channel_access(
    access: AccessRepository, channel_id: Snowflake, user_id: Snowflake
) -> ChannelAccess:
    """The caller's permissions in a channel; NotFound unless they can view it."""
    return channel_access_from(await access.channel_context(channel_id, user_id), user_id)


def channel_access_from(found: ChannelContext | None, user_id: Snowflake) -> ChannelAccess:
    """``channel_access`` on a context already read; pure, so it can run where storage reads."""
    if found is None:
        raise NotFound(Resource.CHANNEL)
    channel, context = found
    if channel.type in (ChannelType.DM, ChannelType.GROUP_DM):
        if user_id not in channel.recipient_ids:
            raise NotFound(Resource.CHANNEL)
        return ChannelAccess(channel, DM_PERMISSIONS, None)
    if context is None or not context.is_member:
        raise NotFound(Resource.CHANNEL)
    permissions = permissions_in(channel, context)
    if not permissions & Permission.VIEW_CHANNEL:
        raise NotFound(Resource.CHANNEL)
    return ChannelAccess(channel, permissions, GuildAccess(context, guild_permissions_of(context)))
