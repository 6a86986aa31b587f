"""Use cases for roles and the role hierarchy: list, create, modify, delete, reorder.

Positions: @everyone is 0 and never moves; a new role goes to position 1,
just above @everyone, as on Discord, and the roles packed above it move up one
to make room, so positions stay distinct and no higher than the role count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from accord.core.clock import Clock
from accord.core.entities import Role
from accord.core.errors import (
    Conflict,
    LimitReached,
    NotFound,
    PermissionDenied,
    Resource,
    ValidationError,
)
from accord.core.events import Event
from accord.core.permissions import Permission, parse_permissions
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import AccessRepository, MemberRepository, RoleRepository
from accord.core.services.access import GuildAccess, guild_access
from accord.core.services.hierarchy import require_outranks, roles_by_id
from accord.core.services.role_holders import role_holders
from accord.core.shapes import JSON, role_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake
from accord.core.validation import validate_bool, validate_color, validate_int, validate_name

# Discord's cap on roles in a guild, @everyone included (error 30005).
MAX_ROLES_PER_GUILD = 250
# Positions run from 0 (@everyone) up to the role count; a higher one orders nothing.
MAX_ROLE_POSITION = MAX_ROLES_PER_GUILD
NEW_ROLE_NAME = "new role"
# Discord's "Invalid role", for acts no role may undergo (deleting or moving @everyone).
INVALID_ROLE = 50028


@dataclass(frozen=True, slots=True)
class RoleFields:
    """A create or a PATCH as the client sent it: None is the default, or unchanged."""

    name: object = None
    permissions: object = None
    color: object = None
    hoist: object = None
    mentionable: object = None


def _event(kind: str, role: Role, affects: frozenset[Snowflake] = frozenset()) -> Event:
    payload = {"guild_id": str(role.guild_id), "role": role_shape(role)}
    return Event(kind, payload, guild_id=role.guild_id, affects=affects)


def _require_grantable(access: GuildAccess, new: Permission, old: Permission) -> None:
    """Nobody hands out a permission they lack (owner and administrators hold them all)."""
    if (new & ~old) & ~access.permissions:
        raise PermissionDenied("Cannot grant permissions you do not have")


def _apply(role: Role, fields: RoleFields) -> Role:
    updated = role
    if fields.name is not None:
        name = validate_name(fields.name)
        if role.is_everyone and name != role.name:
            raise Conflict(
                "The @everyone role cannot be renamed",
                code="INVALID_ROLE",
                discord_code=INVALID_ROLE,
            )
        updated = replace(updated, name=name)
    if fields.permissions is not None:
        updated = replace(updated, permissions=parse_permissions(fields.permissions))
    if fields.color is not None:
        updated = replace(updated, color=validate_color(fields.color))
    if fields.hoist is not None:
        updated = replace(updated, hoist=validate_bool(fields.hoist, "hoist"))
    if fields.mentionable is not None:
        updated = replace(updated, mentionable=validate_bool(fields.mentionable, "mentionable"))
    return updated


def _packed_above_everyone(roles: Iterable[Role]) -> list[tuple[Snowflake, int]]:
    """Moves that free position 1: each role in the unbroken run from 1 goes up one."""
    by_position: dict[int, list[Role]] = {}
    for role in roles:
        if not role.is_everyone:
            by_position.setdefault(role.position, []).append(role)
    moves: list[tuple[Snowflake, int]] = []
    position = 1
    while position in by_position:
        moves.extend((r.id, position + 1) for r in by_position[position])
        position += 1
    return moves


class RoleServiceStorage(Protocol):
    """The repositories ``RoleService`` uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def roles(self) -> RoleRepository: ...


class RoleService:
    def __init__(
        self, storage: RoleServiceStorage, bus: EventBus, ids: SnowflakeGenerator, clock: Clock
    ) -> None:
        self._storage = storage
        self._bus = bus
        self._ids = ids
        self._clock = clock

    async def list_roles(self, user_id: Snowflake, guild_id: Snowflake) -> list[JSON]:
        await guild_access(self._storage.access, guild_id, user_id)
        return [role_shape(r) for r in await self._storage.roles.list_roles(guild_id)]

    async def create(self, user_id: Snowflake, guild_id: Snowflake, fields: RoleFields) -> JSON:
        """A role at position 1; its permissions default to @everyone's, as on Discord."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_ROLES)
        template = Role(
            id=self._ids.next_id(),
            guild_id=guild_id,
            name=NEW_ROLE_NAME,
            permissions=access.context.everyone,
            position=1,
        )
        role = _apply(template, fields)
        _require_grantable(access, role.permissions, Permission(0))
        # Position 1 is below a caller's highest role exactly when they have one.
        require_outranks(access, 0)
        existing = await self._storage.roles.list_roles(guild_id)
        if len(existing) >= MAX_ROLES_PER_GUILD:
            raise LimitReached("Maximum number of server roles reached (250)", 30005)
        moves = _packed_above_everyone(existing)
        # Make room before inserting: if the insert then fails, a gap is left, never a tie.
        moved = await self._storage.roles.set_role_positions(guild_id, moves) if moves else existing
        created = await self._storage.roles.create_role(role)
        await self._publish_moves(existing, moved)
        await self._bus.publish(_event("GUILD_ROLE_CREATE", created))
        return role_shape(created)

    async def modify(
        self, user_id: Snowflake, guild_id: Snowflake, role_id: Snowflake, fields: RoleFields
    ) -> JSON:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_ROLES)
        role = await self._role(guild_id, role_id)
        updated = _apply(role, fields)
        require_outranks(access, role.position)
        _require_grantable(access, updated.permissions, role.permissions)
        if updated == role:
            return role_shape(role)
        saved = await self._storage.roles.update_role(updated)
        if saved is None:
            raise NotFound(Resource.ROLE)
        affects = frozenset[Snowflake]()
        if saved.permissions != role.permissions:
            affects = await role_holders(self._storage.members, guild_id, role_id)
        await self._bus.publish(_event("GUILD_ROLE_UPDATE", saved, affects))
        return role_shape(saved)

    async def delete(self, user_id: Snowflake, guild_id: Snowflake, role_id: Snowflake) -> None:
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_ROLES)
        role = await self._role(guild_id, role_id)
        if role.is_everyone:
            raise Conflict(
                "The @everyone role cannot be deleted",
                code="INVALID_ROLE",
                discord_code=INVALID_ROLE,
            )
        if role.managed:
            raise PermissionDenied("Managed roles belong to their integration")
        require_outranks(access, role.position)
        # Read before deleting: afterwards nobody holds the role any more.
        holders = await role_holders(self._storage.members, guild_id, role_id)
        if not await self._storage.roles.delete_role(guild_id, role_id):
            raise NotFound(Resource.ROLE)
        payload = {"guild_id": str(guild_id), "role_id": str(role_id)}
        await self._bus.publish(
            Event("GUILD_ROLE_DELETE", payload, guild_id=guild_id, affects=holders)
        )

    async def reorder(
        self, user_id: Snowflake, guild_id: Snowflake, moves: Sequence[tuple[object, object]]
    ) -> list[JSON]:
        """Apply ``(role id, position)`` moves together; returns every role of the guild."""
        access = await guild_access(self._storage.access, guild_id, user_id)
        access.require(Permission.MANAGE_ROLES)
        if len(moves) > MAX_ROLES_PER_GUILD:
            raise ValidationError.single(
                "_body",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_ROLES_PER_GUILD} or fewer in length.",
            )
        wanted = {
            parse_snowflake(raw_id, f"{i}.id"): validate_int(
                raw_position, f"{i}.position", 0, MAX_ROLE_POSITION
            )
            for i, (raw_id, raw_position) in enumerate(moves)
        }
        existing = await self._storage.roles.list_roles(guild_id)
        roles = roles_by_id(existing)
        changes: list[tuple[Snowflake, int]] = []
        for role_id, position in wanted.items():
            role = roles.get(role_id)
            if role is None:
                raise NotFound(Resource.ROLE)
            if role.is_everyone or position == 0:
                # Clients that send every role send @everyone at 0: that is no move.
                if role.is_everyone and position == 0:
                    continue
                raise Conflict(
                    "@everyone alone is at position 0",
                    code="INVALID_ROLE",
                    discord_code=INVALID_ROLE,
                )
            if position != role.position:
                require_outranks(access, role.position)
                require_outranks(access, position)
                changes.append((role_id, position))
        if not changes:
            return [role_shape(r) for r in existing]
        moved = await self._storage.roles.set_role_positions(guild_id, changes)
        await self._publish_moves(existing, moved)
        return [role_shape(r) for r in moved]

    async def _publish_moves(self, before: Sequence[Role], after: Sequence[Role]) -> None:
        # Positions order the hierarchy but grant nothing: no one's permissions change.
        old = {r.id: r.position for r in before}
        for role in after:
            if role.id in old and old[role.id] != role.position:
                await self._bus.publish(_event("GUILD_ROLE_UPDATE", role))

    async def _role(self, guild_id: Snowflake, role_id: Snowflake) -> Role:
        role = await self._storage.roles.get_role(guild_id, role_id)
        if role is None:
            raise NotFound(Resource.ROLE)
        return role
