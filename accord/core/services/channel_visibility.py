"""Which of a guild's channels a member may see, read from a guild snapshot.

GUILD_CREATE carries only these. The same rule decides REST reads
(access.py) and, per event, the gateway's fan-out (gateway/guild_view.py).
"""

from __future__ import annotations

from accord.core.entities import Channel, Member
from accord.core.permissions import NONE, Permission, base_permissions, channel_permissions
from accord.core.ports.storage import GuildSnapshot


def visible_channels(snapshot: GuildSnapshot, member: Member) -> tuple[Channel, ...]:
    """The snapshot's channels in which ``member`` has VIEW_CHANNEL, in snapshot order."""
    guild = snapshot.guild
    roles = {role.id: role.permissions for role in snapshot.roles}
    user_id = member.user.id
    base = base_permissions(
        is_owner=user_id == guild.owner_id,
        everyone=roles.get(guild.id, NONE),
        roles=(roles.get(r, NONE) for r in member.role_ids),
    )
    return tuple(
        channel
        for channel in snapshot.channels
        if channel_permissions(
            base,
            guild_id=guild.id,
            member_id=user_id,
            member_role_ids=member.role_ids,
            overwrites=channel.overwrites,
        )
        & Permission.VIEW_CHANNEL
    )
