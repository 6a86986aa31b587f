"""Endpoints that only humans, or only bots, may use (errors.py holds Discord's codes)."""

from __future__ import annotations

from accord.core.entities import Application, User
from accord.core.errors import BotsForbidden, BotsOnly


def require_human(user: User) -> None:
    if user.bot:
        raise BotsForbidden()


def require_bot(application: Application | None) -> Application:
    """The caller's application; only a ``Bot <token>`` caller has one."""
    if application is None:
        raise BotsOnly()
    return application
