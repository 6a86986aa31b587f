"""Channels a member gains or loses sight of when a guild's view is read again.

An overwrite edit, a role's new permissions, a member's new roles or a new
owner can show a channel to a member or hide it. As Discord does, that
member's clients are then sent CHANNEL_CREATE or CHANNEL_DELETE for it, so
no client keeps a channel it may no longer see or misses one it now may.

Only what a change can affect is compared: every channel for members whose
roles (or whose roles' permissions) changed, and otherwise only channels
whose overwrites changed. Members are judged once per distinct set of roles
(one by one only where a member overwrite names them, and for the owner),
so a change to @everyone costs O(members + role sets x channels), not
O(members x channels), inside the fan-out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.core.entities import Channel
from accord.core.events import Event
from accord.core.permissions import OverwriteType
from accord.core.shapes import channel_shape
from accord.core.snowflake import Snowflake
from accord.gateway.guild_view import GuildView


@dataclass(frozen=True, slots=True)
class SightChange:
    user_id: Snowflake
    channel: Channel  # as it is now
    gained: bool


def sight_changes(
    before: GuildView, after: GuildView, user_ids: Iterable[Snowflake]
) -> list[SightChange]:
    """What each of `user_ids` gained or lost sight of between two views of one guild.

    Channels created or deleted meanwhile are left out: their own events
    carry them to exactly those who may see them.
    """
    common = [c for c in after.channels if c in before.channels]
    everyone = before.everyone != after.everyone or before.owner_id != after.owner_id
    roles = before.role_permissions.keys() | after.role_permissions.keys()
    changed_roles = {
        r for r in roles if before.role_permissions.get(r) != after.role_permissions.get(r)
    }
    changed_channels = [
        c
        for c in common
        if frozenset(before.channels[c].overwrites) != frozenset(after.channels[c].overwrites)
    ]
    # Members a member overwrite names, and the owners, are judged one by one;
    # any other member sees what every member with the same roles sees, so
    # each distinct (roles before, roles after) is computed once.
    alone: set[int] = {before.owner_id, after.owner_id}
    for view in (before, after):
        for channel_id in common:
            alone.update(
                o.id for o in view.channels[channel_id].overwrites if o.type is OverwriteType.MEMBER
            )
    judged: dict[object, tuple[set[Snowflake], set[Snowflake]]] = {}
    changes: list[SightChange] = []
    for user_id in user_ids:
        old_roles = before.member_roles.get(user_id)
        new_roles = after.member_roles.get(user_id)
        if old_roles is None or new_roles is None:
            continue  # joined or left: GUILD_CREATE or GUILD_DELETE tells them
        if everyone or old_roles != new_roles or changed_roles.intersection(new_roles):
            channels = common
        else:
            channels = changed_channels
        if not channels:
            continue
        key: object = user_id if user_id in alone else (frozenset(old_roles), frozenset(new_roles))
        seen = judged.get(key)
        if seen is None:
            seen = judged[key] = (
                before.visible(user_id, channels),
                after.visible(user_id, channels),
            )
        saw, sees = seen
        for channel_id in saw.symmetric_difference(sees):
            gained = channel_id in sees
            # Each is told of the channel as it was allowed to see it: a member
            # losing sight is not shown the name or topic that hid it.
            channel = (after if gained else before).channels[channel_id]
            changes.append(SightChange(user_id, channel, gained))
    return changes


def sight_events(guild_id: Snowflake, changes: Iterable[SightChange]) -> list[Event]:
    """One CHANNEL_CREATE or CHANNEL_DELETE per channel and direction, for those it concerns."""
    grouped: dict[tuple[Snowflake, bool], tuple[Channel, set[Snowflake]]] = {}
    for change in changes:
        _, users = grouped.setdefault((change.channel.id, change.gained), (change.channel, set()))
        users.add(change.user_id)
    return [
        Event(
            "CHANNEL_CREATE" if gained else "CHANNEL_DELETE",
            channel_shape(channel),
            guild_id=guild_id,
            user_ids=frozenset(users),
        )
        for (_, gained), (channel, users) in grouped.items()
    ]
