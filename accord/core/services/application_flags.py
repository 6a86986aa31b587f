"""Application flags for privileged gateway intents, and the intents they approve.

A bot's approved intents are stored on its user; clients read them as the
application's ``flags`` (discord.py checks them before asking for an intent).
"""

from __future__ import annotations

from accord.core.errors import ValidationError

# Gateway intents that need approval.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_MESSAGE_CONTENT = 1 << 15

# (intent, full flag, limited flag). Discord gives unverified bots the
# "limited" flag, which is the one we report: approval is a self-service
# toggle here, as it is on Discord for bots in fewer than 100 servers.
_INTENT_FLAGS: tuple[tuple[int, int, int], ...] = (
    (INTENT_GUILD_PRESENCES, 1 << 12, 1 << 13),
    (INTENT_GUILD_MEMBERS, 1 << 14, 1 << 15),
    (INTENT_MESSAGE_CONTENT, 1 << 18, 1 << 19),
)
SETTABLE_FLAGS = sum(full | limited for _, full, limited in _INTENT_FLAGS)


def flags_from_intents(approved_intents: int) -> int:
    return sum(limited for intent, _, limited in _INTENT_FLAGS if approved_intents & intent)


def intents_from_flags(value: object, field: str = "flags") -> int:
    """The intents approved by application ``flags``; other flags are not ours to set."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Must be an integer.")
    if value < 0 or value & ~SETTABLE_FLAGS:
        raise ValidationError.single(
            field,
            "APPLICATION_FLAGS_INVALID",
            "Only the GATEWAY_PRESENCE, GATEWAY_GUILD_MEMBERS and GATEWAY_MESSAGE_CONTENT"
            " flags (or their _LIMITED forms) can be set.",
        )
    return sum(intent for intent, full, limited in _INTENT_FLAGS if value & (full | limited))
