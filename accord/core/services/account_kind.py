"""Endpoints that only humans, or only bots, may use, with Discord's codes for each refusal."""

from __future__ import annotations

from accord.core.entities import Application, User
from accord.core.errors import PermissionDenied


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


def require_human(user: User) -> None:
    if user.bot:
        raise BotsForbidden()


def require_bot(application: Application | None) -> Application:
    """The caller's application; only a ``Bot <token>`` caller has one."""
    if application is None:
        raise BotsOnly()
    return application
