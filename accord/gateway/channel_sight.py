"""Channels a member gains or loses sight of when a guild's view is read again.

An overwrite edit, a role's new permissions, a member's new roles or a new
owner can show a channel to a member or hide it. As Discord does, that
member's clients are then sent CHANNEL_CREATE or CHANNEL_DELETE for it, so
no client keeps a channel it may no longer see or misses one it now may.

Only what a change can affect is compared: every channel for members whose
roles (or whose roles' permissions) changed, and otherwise only channels
whose overwrites changed. A change to @everyone or the owner compares every
connected member with every channel: O(members x channels), paid once per
such (rare, administrative) event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.core.entities import Channel
from accord.core.events import Event
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
        saw = before.visible(user_id, channels)
        sees = after.visible(user_id, channels)
        for channel_id in saw.symmetric_difference(sees):
            changes.append(SightChange(user_id, after.channels[channel_id], channel_id in sees))
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
