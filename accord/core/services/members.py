"""Use cases for guild members: listing, nicknames, member roles, kicks and leaving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from accord.core.clock import Clock
from accord.core.entities import Member, Role
from accord.core.errors import Conflict, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import Permission
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import AccessRepository, MemberRepository, RoleRepository
from accord.core.services.access import GuildAccess, guild_access
from accord.core.services.departures import publish_departure
from accord.core.services.hierarchy import (
    require_outranks,
    require_outranks_member,
    roles_by_id,
)
from accord.core.services.roles import MAX_ROLES_PER_GUILD
from accord.core.shapes import JSON, member_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import NAME_MAX, validate_int, validate_nick

MEMBER_PAGE_DEFAULT, MEMBER_PAGE_MAX = 1, 1000  # Discord's defaults for list and search
# A prefix longer than any name or nick matches nothing; NAME_MAX bounds both.
SEARCH_QUERY_MAX = NAME_MAX


@dataclass(frozen=True, slots=True)
class MemberChanges:
    """A PATCH: ``set_nick`` says nick was sent (None or "" clears it); roles None is unchanged."""

    nick: object = None
    set_nick: bool = False
    roles: Sequence[object] | None = None


def member_update_event(member: Member, affects: frozenset[Snowflake] = frozenset()) -> Event:
    return Event(
        "GUILD_MEMBER_UPDATE",
        {"guild_id": str(member.guild_id), **member_shape(member)},
        guild_id=member.guild_id,
        affects=affects,
    )


def _role_ids(raw: Sequence[object]) -> tuple[Snowflake, ...]:
    if len(raw) > MAX_ROLES_PER_GUILD:
        raise ValidationError.single(
            "roles", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROLES_PER_GUILD} or fewer in length."
        )
    return tuple(dict.fromkeys(parse_snowflake(r, f"roles.{i}") for i, r in enumerate(raw)))


def _require_nick_right(
    access: GuildAccess, target: Member, roles: Mapping[Snowflake, Role]
) -> None:
    if target.user.id == access.context.user_id:
        if not access.permissions & (Permission.CHANGE_NICKNAME | Permission.MANAGE_NICKNAMES):
            raise PermissionDenied()
        return
    access.require(Permission.MANAGE_NICKNAMES)
    require_outranks_member(access, target, roles)


class MemberServiceStorage(Protocol):
    """The repositories ``MemberService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def roles(self) -> RoleRepository: ...


class MemberService:
    def __init__(
        self, storage: MemberServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def list_members(
        self, user_id: Snowflake, guild_id: Snowflake, *, limit: object = None, after: object = None
    ) -> list[JSON]:
        """Members in user-id order after ``after``; the caller must be a member."""
        await guild_access(self._storage.access, guild_id, user_id)
        count = (
            MEMBER_PAGE_DEFAULT
            if limit is None
            else validate_int(limit, "limit", 1, MEMBER_PAGE_MAX)
        )
        anchor = None if after is None else parse_snowflake(after, "after")
        members = await self._storage.members.list_members(guild_id, after=anchor, limit=count)
        return [member_shape(m) for m in members]

    async def search(
        self, user_id: Snowflake, guild_id: Snowflake, *, query: object, limit: object = None
    ) -> list[JSON]:
        """Members whose username or nick starts with ``query``, case-insensitively."""
        await guild_access(self._storage.access, guild_id, user_id)
        if not isinstance(query, str) or not 1 <= len(query) <= SEARCH_QUERY_MAX:
            raise ValidationError.single(
                "query",
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {SEARCH_QUERY_MAX} in length.",
            )
        count = (
            MEMBER_PAGE_DEFAULT
            if limit is None
            else validate_int(limit, "limit", 1, MEMBER_PAGE_MAX)
        )
        members = await self._storage.members.search_members(guild_id, query, count)
        return [member_shape(m) for m in members]

    async def get(self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake) -> JSON:
        await guild_access(self._storage.access, guild_id, user_id)
        return member_shape(await self._member(guild_id, target_id))

    async def modify(
        self,
        user_id: Snowflake,
        guild_id: Snowflake,
        target_id: Snowflake,
        changes: MemberChanges,
    ) -> JSON:
        """Change a member's nick and/or whole role set, each under its own permission."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        member = await self._member(guild_id, target_id)
        nick = validate_nick(changes.nick) if changes.set_nick else member.nick
        wanted = None if changes.roles is None else _role_ids(changes.roles)
        roles = roles_by_id(await self._storage.roles.list_roles(guild_id))
        if changes.set_nick:
            _require_nick_right(access, member, roles)
        role_ids = member.role_ids
        if wanted is not None:
            access.require(Permission.MANAGE_ROLES)
            if any(r not in roles for r in wanted):
                raise NotFound(Resource.ROLE)
            wanted = tuple(r for r in wanted if r != guild_id)  # @everyone is implicit
            for role_id in set(wanted) ^ set(member.role_ids):
                self._require_assignable(access, roles[role_id])
            role_ids = wanted
        roles_changed = set(role_ids) != set(member.role_ids)
        if nick == member.nick and not roles_changed:
            return member_shape(member)
        saved = await self._storage.members.update_member(
            guild_id, target_id, nick=nick, role_ids=role_ids
        )
        if saved is None:
            raise NotFound(Resource.MEMBER)
        affects = frozenset({target_id}) if roles_changed else frozenset()
        await self._bus.publish(member_update_event(saved, affects))
        return member_shape(saved)

    async def add_role(
        self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake, role_id: Snowflake
    ) -> None:
        await self._change_role(user_id, guild_id, target_id, role_id, add=True)

    async def remove_role(
        self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake, role_id: Snowflake
    ) -> None:
        await self._change_role(user_id, guild_id, target_id, role_id, add=False)

    async def kick(self, user_id: Snowflake, guild_id: Snowflake, target_id: Snowflake) -> None:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.KICK_MEMBERS)
        member = await self._member(guild_id, target_id)
        roles = roles_by_id(await self._storage.roles.list_roles(guild_id))
        require_outranks_member(access, member, roles)
        if not await self._storage.members.remove_member(guild_id, target_id):
            raise NotFound(Resource.MEMBER)
        await publish_departure(self._bus, guild_id, member.user)

    async def leave(self, user_id: Snowflake, guild_id: Snowflake) -> None:
        """``DELETE /users/@me/guilds/{id}``; the owner must transfer or delete instead."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        if access.is_owner:
            raise Conflict(
                "The guild owner cannot leave the guild; transfer ownership or delete it.",
                code="OWNER_CANNOT_LEAVE",
            )
        member = await self._storage.members.get_member(guild_id, user_id)
        if member is None or not await self._storage.members.remove_member(guild_id, user_id):
            raise NotFound(Resource.GUILD)
        await publish_departure(self._bus, guild_id, member.user)

    async def _change_role(
        self,
        user_id: Snowflake,
        guild_id: Snowflake,
        target_id: Snowflake,
        role_id: Snowflake,
        *,
        add: bool,
    ) -> None:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_ROLES)
        await self._member(guild_id, target_id)
        role = await self._storage.roles.get_role(guild_id, role_id)
        if role is None:
            raise NotFound(Resource.ROLE)
        self._require_assignable(access, role)
        members = self._storage.members
        if add:
            changed = await members.add_member_role(guild_id, target_id, role_id)
        else:
            changed = await members.remove_member_role(guild_id, target_id, role_id)
        if not changed:
            return  # already held (or not held): nothing to tell anyone
        saved = await members.get_member(guild_id, target_id)
        if saved is not None:
            await self._bus.publish(member_update_event(saved, frozenset({target_id})))

    @staticmethod
    def _require_assignable(access: GuildAccess, role: Role) -> None:
        if role.managed:
            raise PermissionDenied("Managed roles belong to their integration")
        require_outranks(access, role.position)

    async def _member(self, guild_id: Snowflake, user_id: Snowflake) -> Member:
        member = await self._storage.members.get_member(guild_id, user_id)
        if member is None:
            raise NotFound(Resource.MEMBER)
        return member
