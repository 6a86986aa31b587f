"""Small helpers the repositories share: connection typing, row access, errors.

Constraint violations become domain errors here, by constraint name, so every
repository words the same duplicate the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import asyncpg

from accord.core.errors import Conflict, NotFound, Resource

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

# What ``pool.acquire()`` yields; the proxy class is generic only in the stubs.
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


def as_mapping(row: asyncpg.Record) -> Mapping[str, Any]:
    """A record for the mappers in rows.py: it reads like a mapping but is not typed as one."""
    return cast(Mapping[str, Any], row)


def rows_affected(status: str) -> int:
    """The count at the end of a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    return int(status.rsplit(" ", 1)[-1])


# Unique constraints a caller can run into, by name: (code, message).
_UNIQUE: dict[str, tuple[str, str]] = {
    "users_email_key": ("EMAIL_ALREADY_REGISTERED", "Email is already registered."),
    "users_username_human_key": ("USERNAME_ALREADY_TAKEN", "Username is unavailable."),
    "users_pkey": ("USER_ID_TAKEN", "A user with this id already exists."),
    "applications_pkey": ("APPLICATION_ID_TAKEN", "An application with this id already exists."),
    "applications_bot_token_hash_key": ("BOT_TOKEN_TAKEN", "This bot token is already in use."),
    "refresh_tokens_pkey": ("TOKEN_ID_TAKEN", "A refresh token with this id already exists."),
    "refresh_tokens_token_hash_key": ("TOKEN_TAKEN", "This refresh token is already in use."),
    "guilds_pkey": ("GUILD_ID_TAKEN", "A guild with this id already exists."),
    "roles_pkey": ("ROLE_ID_TAKEN", "A role with this id already exists."),
    "channels_pkey": ("CHANNEL_ID_TAKEN", "A channel with this id already exists."),
    "permission_overwrites_pkey": ("OVERWRITE_TAKEN", "Duplicate permission overwrite."),
    "invites_pkey": ("INVITE_CODE_TAKEN", "An invite with this code already exists."),
}


def unique_conflict(error: asyncpg.UniqueViolationError) -> Conflict:
    code, message = _UNIQUE.get(error.constraint_name or "", ("CONFLICT", "Already exists."))
    return Conflict(message, code=code)


# Foreign keys whose violation means the caller named something that does not
# exist; the referenced column decides which resource is reported unknown.
_FOREIGN: dict[str, Resource] = {
    "applications_owner_id_fkey": Resource.USER,
    "refresh_tokens_user_id_fkey": Resource.USER,
    "guilds_owner_id_fkey": Resource.USER,
    "roles_guild_id_fkey": Resource.GUILD,
    "channels_guild_id_fkey": Resource.GUILD,
    "channels_parent_id_fkey": Resource.CHANNEL,
    "members_guild_id_fkey": Resource.GUILD,
    "members_user_id_fkey": Resource.USER,
    "member_roles_guild_id_user_id_fkey": Resource.MEMBER,
    "member_roles_role_id_guild_id_fkey": Resource.ROLE,
    "bans_guild_id_fkey": Resource.GUILD,
    "bans_user_id_fkey": Resource.USER,
    "bans_banned_by_fkey": Resource.USER,
    "invites_guild_id_fkey": Resource.GUILD,
    "invites_channel_id_fkey": Resource.CHANNEL,
    "invites_inviter_id_fkey": Resource.USER,
}


def missing_reference(error: asyncpg.ForeignKeyViolationError) -> NotFound:
    """NotFound for the resource a failed foreign key points at.

    An unlisted constraint is a bug in the caller's query, not bad input, so
    it is re-raised as it came.
    """
    resource = _FOREIGN.get(error.constraint_name or "")
    if resource is None:
        raise error
    return NotFound(resource)
