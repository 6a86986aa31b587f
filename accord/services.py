"""The ``Services`` container: what the surfaces (REST, gateway) are given to work with.

`accord.bootstrap` fills it, once per process; the surfaces only read it. It
lives apart from the bootstrap so that a surface depends on the services and
ports it is handed, not on the adapters behind them: importing it loads the
core and the settings' declaration, never asyncpg, Redis or a web framework
(the import contract in pyproject.toml checks this).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.config import Settings
from accord.core.clock import Clock
from accord.core.ports.bus import EventBus
from accord.core.ports.handoff import SessionHandoffs
from accord.core.ports.presence import PresenceStore
from accord.core.ports.ratelimit import RateLimiter
from accord.core.ports.storage import Storage
from accord.core.services.applications import ApplicationService
from accord.core.services.auth import AuthService
from accord.core.services.bans import BanService
from accord.core.services.channel_positions import ChannelPositionService
from accord.core.services.channels import ChannelService
from accord.core.services.guilds import GuildService
from accord.core.services.invites import InviteService
from accord.core.services.members import MemberService
from accord.core.services.message_search import SearchService
from accord.core.services.messages import MessageService
from accord.core.services.reactions import ReactionService
from accord.core.services.roles import RoleService
from accord.core.services.typing_indicator import TypingService
from accord.core.services.users import UserService
from accord.core.snowflake import SnowflakeGenerator


@dataclass(frozen=True, slots=True)
class Services:
    """One process's settings, ports and services, each built once by `accord.bootstrap`."""

    settings: Settings
    storage: Storage
    clock: Clock
    ids: SnowflakeGenerator
    bus: EventBus
    presence: PresenceStore
    handoffs: SessionHandoffs | None
    rate_limiter: RateLimiter
    auth: AuthService
    guilds: GuildService
    channels: ChannelService
    channel_positions: ChannelPositionService
    messages: MessageService
    search: SearchService
    typing: TypingService
    members: MemberService
    roles: RoleService
    bans: BanService
    invites: InviteService
    reactions: ReactionService
    users: UserService
    applications: ApplicationService
