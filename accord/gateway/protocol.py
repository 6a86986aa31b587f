"""Discord's gateway vocabulary: opcodes, close codes, intents, and which intent gates a dispatch.

Values follow Discord's public gateway documentation; clients hard-code them,
so none of them is ours to choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from types import MappingProxyType
from typing import Final


class Opcode(IntEnum):
    """Gateway payload opcodes (`op`)."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


# What a client may send; the rest flow server → client only, and a client
# sending one is answered like an unknown opcode (4001), as Discord does.
CLIENT_OPCODES: Final = frozenset(
    {
        Opcode.HEARTBEAT,
        Opcode.IDENTIFY,
        Opcode.PRESENCE_UPDATE,
        Opcode.VOICE_STATE_UPDATE,
        Opcode.RESUME,
        Opcode.REQUEST_GUILD_MEMBERS,
    }
)


class CloseCode(IntEnum):
    """WebSocket close codes the gateway sends; `resumable` says if the client may RESUME after."""

    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_SEQ = 4007
    RATE_LIMITED = 4008
    SESSION_TIMED_OUT = 4009
    INVALID_SHARD = 4010
    SHARDING_REQUIRED = 4011
    INVALID_API_VERSION = 4012
    INVALID_INTENTS = 4013
    DISALLOWED_INTENTS = 4014

    @property
    def resumable(self) -> bool:
        return self not in _NOT_RESUMABLE


# Discord's "reconnect: false" column: the session cannot be continued and a
# client must fix its configuration (token, shard, version, intents) first.
_NOT_RESUMABLE: Final = frozenset(
    {
        CloseCode.AUTHENTICATION_FAILED,
        CloseCode.INVALID_SHARD,
        CloseCode.SHARDING_REQUIRED,
        CloseCode.INVALID_API_VERSION,
        CloseCode.INVALID_INTENTS,
        CloseCode.DISALLOWED_INTENTS,
    }
)


class Intents(IntFlag):
    """Gateway intents with Discord's bit positions (gaps are bits Discord never assigned)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16
    AUTO_MODERATION_CONFIGURATION = 1 << 20
    AUTO_MODERATION_EXECUTION = 1 << 21
    GUILD_MESSAGE_POLLS = 1 << 24
    DIRECT_MESSAGE_POLLS = 1 << 25


NO_INTENTS: Final = Intents(0)
ALL_INTENTS: Final = Intents(sum(Intents))
# Must be enabled per application on Discord; asking without it closes 4014.
PRIVILEGED_INTENTS: Final = (
    Intents.GUILD_MEMBERS | Intents.GUILD_PRESENCES | Intents.MESSAGE_CONTENT
)


class GatewayError(Exception):
    """A client error that ends the connection with `close_code`."""

    def __init__(self, close_code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code
        self.reason = reason


class InvalidIntents(GatewayError):
    """IDENTIFY carried an `intents` value that is not a known bit set (close 4013)."""

    def __init__(self, reason: str) -> None:
        super().__init__(CloseCode.INVALID_INTENTS, reason)


def parse_intents(value: object) -> Intents:
    """Validate IDENTIFY's `intents`: a non-negative int using only known bits."""
    # bool is an int subclass; `true` is not a bit set a client meant to send.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidIntents(f"intents must be an integer, got {type(value).__name__}")
    if value < 0:
        raise InvalidIntents("intents must not be negative")
    # Plain-int arithmetic: `~` on an IntFlag only flips the defined bits,
    # which would hide high unknown ones.
    unknown = value & ~int(ALL_INTENTS)
    if unknown:
        raise InvalidIntents(f"unknown intent bits {unknown:#x}")
    return Intents(value)


@dataclass(frozen=True, slots=True)
class Gate:
    """The intent a session needs to receive a dispatch in a guild and in a DM (0 = always)."""

    guild: Intents
    dm: Intents


def _guild_only(intent: Intents) -> Gate:
    # Events Discord only sends for guilds carry the guild intent in both
    # columns, so a DM-context lookup can never widen delivery.
    return Gate(intent, intent)


_UNGATED: Final = Gate(NO_INTENTS, NO_INTENTS)
_MESSAGES: Final = Gate(Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES)
_REACTIONS: Final = Gate(Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS)

DISPATCH_GATES: Final = MappingProxyType(
    {
        "READY": _UNGATED,
        "RESUMED": _UNGATED,
        "USER_UPDATE": _UNGATED,
        "MESSAGE_CREATE": _MESSAGES,
        "MESSAGE_UPDATE": _MESSAGES,
        "MESSAGE_DELETE": _MESSAGES,
        "MESSAGE_DELETE_BULK": _guild_only(Intents.GUILD_MESSAGES),
        "MESSAGE_REACTION_ADD": _REACTIONS,
        "MESSAGE_REACTION_REMOVE": _REACTIONS,
        "MESSAGE_REACTION_REMOVE_ALL": _REACTIONS,
        "MESSAGE_REACTION_REMOVE_EMOJI": _REACTIONS,
        "GUILD_CREATE": _guild_only(Intents.GUILDS),
        "GUILD_UPDATE": _guild_only(Intents.GUILDS),
        "GUILD_DELETE": _guild_only(Intents.GUILDS),
        "CHANNEL_CREATE": _guild_only(Intents.GUILDS),
        "CHANNEL_UPDATE": _guild_only(Intents.GUILDS),
        "CHANNEL_DELETE": _guild_only(Intents.GUILDS),
        "CHANNEL_PINS_UPDATE": Gate(Intents.GUILDS, Intents.DIRECT_MESSAGES),
        "GUILD_ROLE_CREATE": _guild_only(Intents.GUILDS),
        "GUILD_ROLE_UPDATE": _guild_only(Intents.GUILDS),
        "GUILD_ROLE_DELETE": _guild_only(Intents.GUILDS),
        "GUILD_MEMBER_ADD": _guild_only(Intents.GUILD_MEMBERS),
        "GUILD_MEMBER_UPDATE": _guild_only(Intents.GUILD_MEMBERS),
        "GUILD_MEMBER_REMOVE": _guild_only(Intents.GUILD_MEMBERS),
        "GUILD_BAN_ADD": _guild_only(Intents.GUILD_MODERATION),
        "GUILD_BAN_REMOVE": _guild_only(Intents.GUILD_MODERATION),
        "INVITE_CREATE": _guild_only(Intents.GUILD_INVITES),
        "INVITE_DELETE": _guild_only(Intents.GUILD_INVITES),
        "TYPING_START": Gate(Intents.GUILD_MESSAGE_TYPING, Intents.DIRECT_MESSAGE_TYPING),
        "PRESENCE_UPDATE": _guild_only(Intents.GUILD_PRESENCES),
    }
)


def wants(intents: Intents, event: str, *, in_guild: bool) -> bool:
    """Whether a session identified with `intents` receives `event` (KeyError if unknown)."""
    gate = DISPATCH_GATES[event]
    needed = gate.guild if in_guild else gate.dm
    return needed in intents
