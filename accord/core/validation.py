"""Input rules shared by every surface: Discord's limits, and Accord's own for accounts.

Each ``validate_*`` returns the value in its canonical form or raises a
ValidationError naming the field, with Discord's per-field error code.
"""

from __future__ import annotations

import re
import unicodedata

from accord.core.errors import ValidationError

USERNAME_MIN, USERNAME_MAX = 2, 32
# 72 is bcrypt's input ceiling, kept under argon2: argon2 takes any length,
# but a bound keeps a hash's input (and an attacker's request) small.
PASSWORD_MIN, PASSWORD_MAX = 8, 72
NAME_MIN, NAME_MAX = 1, 100  # guild, channel and role names
CONTENT_MIN, CONTENT_MAX = 1, 2000
TOPIC_MAX = 1024
NICK_MIN, NICK_MAX = 1, 32
GLOBAL_NAME_MIN, GLOBAL_NAME_MAX = 1, 32
DESCRIPTION_MAX = 300
REASON_MAX = 512
EMAIL_MAX = 254  # RFC 5321 path limit
NONCE_MAX = 25  # Discord: int or string of at most 25 characters
COLOR_MAX = 0xFFFFFF
INVITE_MAX_AGE = 604_800  # seven days, Discord's ceiling
INVITE_MAX_USES = 100

_USERNAME = re.compile(r"[A-Za-z0-9_]+")
# Deliberately plain: one @, a non-empty local part, a dotted domain of
# letters, digits and hyphens. Whether the mailbox exists is not our question.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def _require_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError.single(field, "BASE_TYPE_STRING", "Must be a string.")
    return value


def _length(value: str, field: str, low: int, high: int) -> str:
    if not low <= len(value) <= high:
        raise ValidationError.single(
            field, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
        )
    return value


def _no_controls(value: str, field: str) -> str:
    # Names and nicknames are one-line labels, so newline and tab are refused
    # too: with them a name can pose as several lines in a client's list.
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError.single(field, "STRING_TYPE_INVALID", "Contains control characters.")
    return value


def _no_nul(value: str, field: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here instead of failing on insert.
    if "\x00" in value:
        raise ValidationError.single(field, "STRING_TYPE_INVALID", "Contains a NUL character.")
    return value


def validate_username(value: object, field: str = "username") -> str:
    text = _length(_require_str(value, field), field, USERNAME_MIN, USERNAME_MAX)
    if not _USERNAME.fullmatch(text):
        raise ValidationError.single(
            field, "USERNAME_INVALID_CHARACTERS", "Only letters, digits and underscores."
        )
    return text


def validate_email(value: object, field: str = "email") -> str:
    """The address with its domain lower-cased (the local part is case-sensitive by RFC)."""
    text = _require_str(value, field).strip()
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise ValidationError.single(
            field, "EMAIL_TYPE_INVALID_EMAIL", "Not a well formed email address."
        )
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def validate_password(value: object, field: str = "password") -> str:
    """A password's shape only; a new one must also pass ``password_policy``."""
    return _length(_require_str(value, field), field, PASSWORD_MIN, PASSWORD_MAX)


def validate_name(value: object, field: str = "name") -> str:
    """Guild, channel and role names: 1-100 characters after trimming."""
    text = _require_str(value, field).strip()
    return _no_controls(_length(text, field, NAME_MIN, NAME_MAX), field)


def validate_content(value: object, field: str = "content") -> str:
    text = _require_str(value, field)
    if not text.strip():
        raise ValidationError.single(field, "BASE_TYPE_REQUIRED", "Cannot send an empty message.")
    return _no_nul(_length(text, field, CONTENT_MIN, CONTENT_MAX), field)


def validate_topic(value: object, field: str = "topic") -> str | None:
    if value is None:
        return None
    return _no_nul(_length(_require_str(value, field), field, 0, TOPIC_MAX), field) or None


def validate_nick(value: object, field: str = "nick") -> str | None:
    """A nickname; None or "" clears it."""
    if value is None:
        return None
    text = _require_str(value, field).strip()
    if not text:
        return None
    return _no_controls(_length(text, field, NICK_MIN, NICK_MAX), field)


def validate_global_name(value: object, field: str = "global_name") -> str | None:
    if value is None:
        return None
    text = _require_str(value, field).strip()
    if not text:
        return None
    return _no_controls(_length(text, field, GLOBAL_NAME_MIN, GLOBAL_NAME_MAX), field)


def validate_description(value: object, field: str = "description") -> str | None:
    if value is None:
        return None
    text = _length(_require_str(value, field), field, 0, DESCRIPTION_MAX)
    return _no_nul(text, field) or None


def validate_reason(value: object, field: str = "reason") -> str | None:
    if value is None:
        return None
    return _no_nul(_length(_require_str(value, field), field, 0, REASON_MAX), field) or None


def validate_int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Must be an integer.")
    if not low <= value <= high:
        raise ValidationError.single(
            field,
            "NUMBER_TYPE_MAX" if value > high else "NUMBER_TYPE_MIN",
            f"Must be between {low} and {high}.",
        )
    return value


def validate_color(value: object, field: str = "color") -> int:
    return validate_int(value, field, 0, COLOR_MAX)


def validate_nonce(value: object, field: str = "nonce") -> str | int | None:
    """Discord's nonce: an integer or a string of at most 25 characters."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError.single(field, "BASE_TYPE_STRING", "Must be a string or integer.")
    if isinstance(value, int):
        if not -(1 << 63) <= value < 1 << 63:
            raise ValidationError.single(field, "NUMBER_TYPE_COERCE", "Nonce out of range.")
        return value
    text = _require_str(value, field)
    return _no_nul(_length(text, field, 0, NONCE_MAX), field)


def validate_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError.single(field, "BASE_TYPE_BOOLEAN", "Must be either true or false.")
    return value
