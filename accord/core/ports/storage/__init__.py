"""The storage port: what services need from the database, one module per repository.

Each method is one unit of work: the PostgreSQL adapter runs all of its queries
in one transaction and one crossing into asyncio, so a method either happens
whole or not at all. Lookups of things that do not exist return None (or
False); rule violations that only the database can see atomically (a ban
checked while joining, a spent invite) raise domain errors.

A consumer depends on the repositories it uses, never on more; ``Storage``
(database.py) is all of them, which only the adapter and the composition root
handle. Import the names from this package.
"""

from accord.core.ports.storage.access import AccessRepository, ChannelContext
from accord.core.ports.storage.applications import ApplicationRepository
from accord.core.ports.storage.bans import BanRepository
from accord.core.ports.storage.channels import ChannelPosition, ChannelRepository
from accord.core.ports.storage.database import Storage
from accord.core.ports.storage.guilds import GuildCounts, GuildRepository, GuildSnapshot
from accord.core.ports.storage.invites import InviteRepository
from accord.core.ports.storage.members import MemberRepository
from accord.core.ports.storage.messages import MessageRepository, SentMessage
from accord.core.ports.storage.reactions import ReactionRepository
from accord.core.ports.storage.roles import RoleRepository
from accord.core.ports.storage.tokens import RotateOutcome, RotateResult, TokenRepository
from accord.core.ports.storage.users import (
    AccountDeletion,
    DeletionOutcome,
    DmStanding,
    UserRepository,
    UserSettings,
)

__all__ = [
    "AccessRepository",
    "AccountDeletion",
    "ApplicationRepository",
    "BanRepository",
    "ChannelContext",
    "ChannelPosition",
    "ChannelRepository",
    "DeletionOutcome",
    "DmStanding",
    "GuildCounts",
    "GuildRepository",
    "GuildSnapshot",
    "InviteRepository",
    "MemberRepository",
    "MessageRepository",
    "ReactionRepository",
    "RoleRepository",
    "RotateOutcome",
    "RotateResult",
    "SentMessage",
    "Storage",
    "TokenRepository",
    "UserRepository",
    "UserSettings",
]
