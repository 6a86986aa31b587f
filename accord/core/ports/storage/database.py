"""The storage port as a whole: every repository of one database."""

from __future__ import annotations

from typing import Protocol

from accord.core.ports.storage.access import AccessRepository
from accord.core.ports.storage.applications import ApplicationRepository
from accord.core.ports.storage.bans import BanRepository
from accord.core.ports.storage.channels import ChannelRepository
from accord.core.ports.storage.guilds import GuildRepository
from accord.core.ports.storage.invites import InviteRepository
from accord.core.ports.storage.members import MemberRepository
from accord.core.ports.storage.messages import MessageRepository
from accord.core.ports.storage.reactions import ReactionRepository
from accord.core.ports.storage.roles import RoleRepository
from accord.core.ports.storage.tokens import TokenRepository
from accord.core.ports.storage.users import UserRepository


class Storage(Protocol):
    """All repositories of one database."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def applications(self) -> ApplicationRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def guilds(self) -> GuildRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def bans(self) -> BanRepository: ...
    @property
    def invites(self) -> InviteRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def reactions(self) -> ReactionRepository: ...
    @property
    def access(self) -> AccessRepository: ...

    async def ping(self) -> bool:
        """Whether the database answers (readiness)."""
        ...
