"""Discord's permission bits and the computation of a member's permissions.

The order is Discord's documented one:

1. the guild owner has everything;
2. @everyone's permissions OR every role of the member;
3. ADMINISTRATOR in that set means everything (and overwrites are skipped);
4. in a channel: the @everyone overwrite, then all role overwrites of the
   member aggregated (deny first, then allow), then the member's own overwrite;
5. implicit rules: without VIEW_CHANNEL nothing else in that channel counts,
   and without SEND_MESSAGES neither do the permissions that only qualify a send.

An overwrite never confers ADMINISTRATOR: only roles do (step 3), so an
ADMINISTRATOR bit inside an overwrite is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from accord.core.errors import ValidationError


class Permission(IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50


NONE = Permission(0)
ALL = Permission(sum(p.value for p in Permission))

# What a new guild's @everyone role may do: read, talk, react, invite, rename
# oneself. Moderation and management stay with roles the owner hands out.
DEFAULT_EVERYONE = (
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.MENTION_EVERYONE
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.CHANGE_NICKNAME
    | Permission.CONNECT
    | Permission.SPEAK
    | Permission.USE_VAD
)

# Permissions that only qualify a message send; Discord drops them with SEND_MESSAGES.
_SEND_QUALIFIERS = (
    Permission.SEND_TTS_MESSAGES
    | Permission.MENTION_EVERYONE
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
)


def parse_permissions(value: object, field: str = "permissions") -> Permission:
    """Read a bitfield sent as a decimal string (Discord's form) or an int.

    Unknown bits are dropped rather than rejected, as Discord does, so a client
    that knows newer flags is not refused.
    """
    if isinstance(value, bool):
        raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Permissions must be a number")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Permissions must be a number")
    if number < 0 or number >= 1 << 63:
        raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Permissions out of range")
    return Permission(number & ALL.value)


class OverwriteType(IntEnum):
    ROLE = 0
    MEMBER = 1


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel's allow/deny pair for one role or one member."""

    id: int
    type: OverwriteType
    allow: Permission = NONE
    deny: Permission = NONE


def base_permissions(
    *,
    is_owner: bool,
    everyone: Permission,
    roles: Iterable[Permission],
) -> Permission:
    """A member's guild-wide permissions (steps 1-3)."""
    if is_owner:
        return ALL
    permissions = everyone
    for role in roles:
        permissions |= role
    if permissions & Permission.ADMINISTRATOR:
        return ALL
    return permissions


# Bits an overwrite may carry: every one but ADMINISTRATOR, which is guild-wide only.
OVERWRITABLE = ALL & ~Permission.ADMINISTRATOR


def channel_permissions(
    base: Permission,
    *,
    guild_id: int,
    member_id: int,
    member_role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> Permission:
    """A member's permissions in one guild channel, given their base permissions."""
    if base & Permission.ADMINISTRATOR:
        return ALL
    by_target: Mapping[tuple[OverwriteType, int], Overwrite] = {
        (o.type, o.id): o for o in overwrites
    }
    permissions = base
    everyone = by_target.get((OverwriteType.ROLE, guild_id))
    if everyone is not None:
        permissions = (permissions & ~everyone.deny) | everyone.allow
    allow, deny = NONE, NONE
    for role_id in member_role_ids:
        role = by_target.get((OverwriteType.ROLE, role_id))
        if role is not None and role_id != guild_id:
            allow |= role.allow
            deny |= role.deny
    permissions = (permissions & ~deny) | allow
    member = by_target.get((OverwriteType.MEMBER, member_id))
    if member is not None:
        permissions = (permissions & ~member.deny) | member.allow
    # `base` lacks ADMINISTRATOR here, so any such bit came from an overwrite.
    permissions &= OVERWRITABLE
    if not permissions & Permission.VIEW_CHANNEL:
        return NONE
    if not permissions & Permission.SEND_MESSAGES:
        permissions &= ~_SEND_QUALIFIERS
    return permissions


def has_permission(granted: Permission, required: Permission) -> bool:
    """Whether every bit of ``required`` is in ``granted`` (ADMINISTRATOR implies all)."""
    if granted & Permission.ADMINISTRATOR:
        return True
    return granted & required == required
