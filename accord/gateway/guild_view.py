"""What the gateway knows of a guild to decide, per session, who may see an event.

A view holds the guild's owner, role permissions, channel overwrites and the
roles of the members that have sessions here, so a fan-out computes channel
permissions from memory instead of asking the database per recipient. It is
read again from storage whenever an event says any of that changed (roles,
channels, members, ownership), before that event is delivered.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from accord.core.entities import Channel, Member
from accord.core.permissions import (
    NONE,
    Permission,
    base_permissions,
    channel_permissions,
)
from accord.core.ports.storage import GuildRepository, GuildSnapshot, MemberRepository
from accord.core.snowflake import Snowflake


@dataclass(slots=True)
class GuildView:
    guild_id: Snowflake
    owner_id: Snowflake
    everyone: Permission
    role_permissions: dict[Snowflake, Permission]
    channels: dict[Snowflake, Channel]
    member_roles: dict[Snowflake, tuple[Snowflake, ...]] = field(default_factory=dict)
    # Plain ints, not Permission: the fan-out tests them once per recipient,
    # and IntFlag arithmetic costs about 1 µs an operation there.
    _cache: dict[tuple[Snowflake, Snowflake], int] = field(default_factory=dict)

    @classmethod
    def from_snapshot(cls, snapshot: GuildSnapshot, members: Iterable[Member]) -> GuildView:
        guild = snapshot.guild
        roles = {role.id: role.permissions for role in snapshot.roles}
        view = cls(
            guild_id=guild.id,
            owner_id=guild.owner_id,
            everyone=roles.get(guild.id, NONE),
            role_permissions=roles,
            channels={channel.id: channel for channel in snapshot.channels},
        )
        view.add_members(members)
        return view

    def add_members(self, members: Iterable[Member]) -> None:
        for member in members:
            self.member_roles[member.user.id] = member.role_ids
        self._cache.clear()

    def keep_members(self, older: GuildView, user_ids: Iterable[Snowflake]) -> None:
        """Take from `older` the roles it holds for `user_ids`."""
        for user_id in user_ids:
            role_ids = older.member_roles.get(user_id)
            if role_ids is not None:
                self.member_roles[user_id] = role_ids
        self._cache.clear()

    def is_member(self, user_id: Snowflake) -> bool:
        return user_id in self.member_roles

    def permissions_in(self, user_id: Snowflake, channel_id: Snowflake) -> Permission:
        """The member's permissions in one channel (NONE for non-members and unknown channels)."""
        return Permission(self.bits_in(user_id, channel_id))

    def bits_in(self, user_id: Snowflake, channel_id: Snowflake) -> int:
        """`permissions_in` as an int (ADMINISTRATOR already widened to every bit)."""
        key = (user_id, channel_id)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = int(self._compute(user_id, channel_id))
        return cached

    def visible(self, user_id: Snowflake, channel_ids: Iterable[Snowflake]) -> set[Snowflake]:
        """Of `channel_ids`, those the member may see (computed afresh, not cached)."""
        role_ids = self.member_roles.get(user_id)
        if role_ids is None:
            return set()
        base = self._base(user_id, role_ids)
        return {
            channel_id
            for channel_id in channel_ids
            if (channel := self.channels.get(channel_id)) is not None
            and self._in(base, user_id, role_ids, channel) & Permission.VIEW_CHANNEL
        }

    def _compute(self, user_id: Snowflake, channel_id: Snowflake) -> Permission:
        role_ids = self.member_roles.get(user_id)
        channel = self.channels.get(channel_id)
        if role_ids is None or channel is None:
            return NONE
        return self._in(self._base(user_id, role_ids), user_id, role_ids, channel)

    def _base(self, user_id: Snowflake, role_ids: tuple[Snowflake, ...]) -> Permission:
        return base_permissions(
            is_owner=user_id == self.owner_id,
            everyone=self.everyone,
            roles=(self.role_permissions.get(r, NONE) for r in role_ids),
        )

    def _in(
        self,
        base: Permission,
        user_id: Snowflake,
        role_ids: tuple[Snowflake, ...],
        channel: Channel,
    ) -> Permission:
        return channel_permissions(
            base,
            guild_id=self.guild_id,
            member_id=user_id,
            member_role_ids=role_ids,
            overwrites=channel.overwrites,
        )


class GuildViewStorage(Protocol):
    """The repositories a guild view is read from."""

    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def members(self) -> MemberRepository: ...


async def load_view(
    storage: GuildViewStorage, guild_id: Snowflake, user_ids: Collection[Snowflake]
) -> GuildView | None:
    """Read a guild's view with the given members' roles; None if the guild is gone."""
    snapshot = await storage.guilds.get_guild_snapshot(guild_id, 0)
    if snapshot is None:
        return None
    members = await storage.members.get_members(guild_id, list(user_ids)) if user_ids else []
    return GuildView.from_snapshot(snapshot, members)
