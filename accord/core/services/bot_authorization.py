"""OAuth2's bot flow: someone who manages a guild adds an application's bot to it.

As on Discord, non-zero requested permissions become a managed role named
after the bot, holding exactly those permissions, given to the bot on join.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from accord.core.clock import Clock, utc_from_ms
from accord.core.entities import Application, Guild, Member, Role, User
from accord.core.errors import FieldError, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.events import Event
from accord.core.permissions import NONE, Permission, parse_permissions
from accord.core.ports.bus import EventBus
from accord.core.ports.storage import (
    AccessRepository,
    ApplicationRepository,
    GuildRepository,
    MemberRepository,
    RoleRepository,
)
from accord.core.services.access import guild_access
from accord.core.services.account_kind import require_human
from accord.core.services.guilds import SNAPSHOT_MEMBERS, guild_create_payload
from accord.core.shapes import JSON, member_shape, partial_guild_shape, role_shape
from accord.core.snowflake import Snowflake, SnowflakeGenerator, parse_snowflake

# Scopes a bot authorization may carry. applications.commands is accepted so
# Discord-style invite links work, and ignored: Accord has no slash commands.
ACCEPTED_SCOPES = frozenset({"bot", "applications.commands"})
# The bot's role sits just above @everyone: it can never outrank the roles of
# whoever added it, so a bot is no way around the role hierarchy.
MANAGED_ROLE_POSITION = 1

T = TypeVar("T")


class BotAuthorizationStorage(Protocol):
    """The repositories adding a bot to a guild uses."""

    @property
    def access(self) -> AccessRepository: ...
    @property
    def applications(self) -> ApplicationRepository: ...
    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def roles(self) -> RoleRepository: ...


@dataclass(frozen=True, slots=True)
class BotAuthorization:
    """The authorize form, as sent: validated by ``authorize_bot``."""

    client_id: object
    scope: object
    guild_id: object
    permissions: object = None


@dataclass(frozen=True, slots=True)
class _Valid:
    client_id: Snowflake
    guild_id: Snowflake
    permissions: Permission


def _scope(value: object, field: str) -> frozenset[str]:
    if not isinstance(value, str):
        raise ValidationError.single(field, "BASE_TYPE_STRING", "Must be a string.")
    scopes = frozenset(value.split())
    if "bot" not in scopes:
        raise ValidationError.single(field, "SCOPE_INVALID", "The scope must include 'bot'.")
    unknown = sorted(scopes - ACCEPTED_SCOPES)
    if unknown:
        shown = ", ".join(s[:32] for s in unknown[:5])
        raise ValidationError.single(field, "SCOPE_INVALID", f"Unsupported scope: {shown}.")
    return scopes


def _field(
    errors: list[FieldError], check: Callable[[object, str], T], value: object, field: str
) -> T | None:
    try:
        return check(value, field)
    except ValidationError as exc:
        errors.extend(exc.errors)
        return None


def _validate(request: BotAuthorization) -> _Valid:
    errors: list[FieldError] = []
    client_id = _field(errors, parse_snowflake, request.client_id, "client_id")
    guild_id = _field(errors, parse_snowflake, request.guild_id, "guild_id")
    _field(errors, _scope, request.scope, "scope")
    raw_permissions = 0 if request.permissions is None else request.permissions
    permissions = _field(errors, parse_permissions, raw_permissions, "permissions")
    if errors or client_id is None or guild_id is None or permissions is None:
        raise ValidationError(errors)
    return _Valid(client_id, guild_id, permissions)


async def authorize_bot(
    storage: BotAuthorizationStorage,
    bus: EventBus,
    ids: SnowflakeGenerator,
    clock: Clock,
    caller: User,
    request: BotAuthorization,
) -> JSON:
    """Add the bot (no-op if already a member); the caller needs MANAGE_GUILD there.

    The caller cannot grant the bot permissions they do not hold themselves.
    """
    require_human(caller)
    valid = _validate(request)
    application = await storage.applications.get_application(valid.client_id)
    if application is None:
        raise NotFound(Resource.APPLICATION)
    if not application.bot_public and application.owner_id != caller.id:
        raise PermissionDenied("This bot is private: only its owner can add it.")
    access = await guild_access(storage.access, valid.guild_id, caller.id)
    access.require(Permission.MANAGE_GUILD)
    if valid.permissions & ~access.permissions:
        raise PermissionDenied("Cannot grant the bot permissions you do not have.")
    guild = await storage.guilds.get_guild(valid.guild_id)
    if guild is None:
        raise NotFound(Resource.GUILD)
    bot = application.bot
    member = await storage.members.add_member(guild.id, bot.id, utc_from_ms(clock.now_ms()))
    if member is None:
        member = await storage.members.get_member(guild.id, bot.id)
        if member is None:  # removed again between the two reads
            raise NotFound(Resource.MEMBER)
        return _answer(application, guild, member, None, joined=False)
    role: Role | None = None
    if valid.permissions != NONE:
        role = await _give_managed_role(storage, ids, guild.id, bot, valid.permissions)
        member = await storage.members.get_member(guild.id, bot.id) or member
    await _announce(storage, bus, guild.id, member, role)
    return _answer(application, guild, member, role, joined=True)


async def _give_managed_role(
    storage: BotAuthorizationStorage,
    ids: SnowflakeGenerator,
    guild_id: Snowflake,
    bot: User,
    permissions: Permission,
) -> Role:
    role = await storage.roles.create_role(
        Role(
            id=ids.next_id(),
            guild_id=guild_id,
            name=bot.username,
            permissions=permissions,
            position=MANAGED_ROLE_POSITION,
            managed=True,
        )
    )
    await storage.members.add_member_role(guild_id, bot.id, role.id)
    return role


async def _announce(
    storage: BotAuthorizationStorage,
    bus: EventBus,
    guild_id: Snowflake,
    member: Member,
    role: Role | None,
) -> None:
    """Discord's order: the role, the guild to the bot alone, then the join to everyone."""
    bot_id = member.user.id
    if role is not None:
        await bus.publish(
            Event(
                "GUILD_ROLE_CREATE",
                {"guild_id": str(guild_id), "role": role_shape(role)},
                guild_id=guild_id,
            )
        )
    snapshot = await storage.guilds.get_guild_snapshot(guild_id, SNAPSHOT_MEMBERS)
    if snapshot is not None:
        await bus.publish(
            Event(
                "GUILD_CREATE",
                guild_create_payload(snapshot, member),
                guild_id=guild_id,
                user_ids=frozenset({bot_id}),
                affects=frozenset({bot_id}),
            )
        )
    await bus.publish(
        Event(
            "GUILD_MEMBER_ADD",
            {**member_shape(member), "guild_id": str(guild_id)},
            guild_id=guild_id,
            affects=frozenset({bot_id}),
        )
    )


def _answer(
    application: Application, guild: Guild, member: Member, role: Role | None, *, joined: bool
) -> JSON:
    return {
        "joined": joined,
        "application": {"id": str(application.id), "name": application.name},
        "guild": partial_guild_shape(guild),
        "member": member_shape(member),
        "role": None if role is None else role_shape(role),
    }
