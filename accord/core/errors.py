"""Domain errors. Each carries Accord's string code and Discord's numeric code.

    DomainError
    ├── ValidationError        VALIDATION_ERROR      50035  (field errors)
    │   └── UnknownEmoji       UNKNOWN_EMOJI         10014  (a 400, as Discord answers it)
    ├── AuthenticationError    UNAUTHORIZED          40001
    │   ├── InvalidToken       INVALID_TOKEN         50014
    │   └── InvalidCredentials INVALID_CREDENTIALS   50035
    ├── PermissionDenied       MISSING_PERMISSIONS   50013
    │   ├── MissingAccess      MISSING_ACCESS        50001
    │   ├── BotsForbidden      BOTS_FORBIDDEN        20001
    │   ├── BotsOnly           BOTS_ONLY             20002
    │   └── CannotMessageUser  CANNOT_MESSAGE_USER   50007
    ├── NotFound               UNKNOWN_*             100xx  (one per resource kind)
    ├── Conflict               CONFLICT / specific   various
    └── LimitReached           MAXIMUM_*             300xx

The HTTP layer maps these to status codes and the gateway to close codes,
each in exactly one place; nothing here knows about either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field, named by a dotted path (``roles.2``)."""

    field: str
    code: str  # Discord's per-field code, e.g. BASE_TYPE_BAD_LENGTH
    message: str


class DomainError(Exception):
    code: str = "INTERNAL_ERROR"
    discord_code: int = 0
    default_message: str = "Internal error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ValidationError(DomainError):
    code = "VALIDATION_ERROR"
    discord_code = 50035
    default_message = "Invalid Form Body"

    def __init__(self, errors: Iterable[FieldError], message: str | None = None) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__(message)

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationError:
        return cls([FieldError(field, code, message)])

    def __str__(self) -> str:
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.message} ({details})" if details else self.message


class AuthenticationError(DomainError):
    code = "UNAUTHORIZED"
    discord_code = 40001
    default_message = "401: Unauthorized"


class InvalidToken(AuthenticationError):
    code = "INVALID_TOKEN"
    discord_code = 50014
    default_message = "Invalid authentication token provided"


class InvalidCredentials(AuthenticationError):
    """Unknown email and wrong password share this, so neither is revealed."""

    code = "INVALID_CREDENTIALS"
    discord_code = 50035
    default_message = "Login or password is invalid."


class PermissionDenied(DomainError):
    code = "MISSING_PERMISSIONS"
    discord_code = 50013
    default_message = "Missing Permissions"


class MissingAccess(PermissionDenied):
    code = "MISSING_ACCESS"
    discord_code = 50001
    default_message = "Missing Access"


class BotsForbidden(PermissionDenied):
    code = "BOTS_FORBIDDEN"
    discord_code = 20001
    default_message = "Bots cannot use this endpoint"


class BotsOnly(PermissionDenied):
    code = "BOTS_ONLY"
    discord_code = 20002
    default_message = "Only bots can use this endpoint"


class CannotMessageUser(PermissionDenied):
    code = "CANNOT_MESSAGE_USER"
    discord_code = 50007
    default_message = "Cannot send messages to this user"


class UnknownEmoji(ValidationError):
    """Not an emoji Accord can react with: Discord's 10014, answered with a 400 as Discord does."""

    code = "UNKNOWN_EMOJI"
    discord_code = 10014
    default_message = "Unknown Emoji"

    def __init__(self, reason: str) -> None:
        super().__init__([FieldError("emoji", "UNKNOWN_EMOJI", reason)])


class Resource(Enum):
    """Resource kinds a lookup can miss, with Discord's 'Unknown X' code."""

    ACCOUNT = 10001
    APPLICATION = 10002
    CHANNEL = 10003
    GUILD = 10004
    INVITE = 10006
    MEMBER = 10007
    MESSAGE = 10008
    OVERWRITE = 10009
    ROLE = 10011
    TOKEN = 10012
    USER = 10013
    EMOJI = 10014
    BAN = 10026


class NotFound(DomainError):
    """A resource that does not exist, or that the caller may not know exists."""

    def __init__(self, resource: Resource, message: str | None = None) -> None:
        self.resource = resource
        self.code = f"UNKNOWN_{resource.name}"
        self.discord_code = resource.value
        super().__init__(message or f"Unknown {resource.name.capitalize()}")


class Conflict(DomainError):
    """The request contradicts current state (a duplicate, a rule of the resource)."""

    code = "CONFLICT"
    discord_code = 0
    default_message = "Conflict"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        discord_code: int | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        if discord_code is not None:
            self.discord_code = discord_code
        super().__init__(message)


class LimitReached(DomainError):
    """A per-account or per-guild maximum (Discord's 300xx family)."""

    code = "LIMIT_REACHED"

    def __init__(self, message: str, discord_code: int) -> None:
        self.discord_code = discord_code
        super().__init__(message)
