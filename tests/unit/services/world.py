"""A small guild in fake storage, and the core services over it.

The guild (GUILD) has a category, a #general everyone reads, and a #secret
only moderators see. Its people, from the top of the role hierarchy down:

    OWNER      owns the guild, holds no role
    MODERATOR  MOD_ROLE (position 2): moderation and management permissions
    PEER       MOD_ROLE as well: level with MODERATOR, so neither outranks the other
    HELPER     HELPER_ROLE (position 1): a rank and no permission of its own
    MEMBER     no role: @everyone's permissions only
    OUTSIDER   not in the guild (and STRANGER, also not in it)
"""

from __future__ import annotations

from datetime import UTC, datetime

from accord.adapters.crypto import JwtAccessTokens
from accord.core.entities import (
    Account,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Role,
    User,
)
from accord.core.permissions import DEFAULT_EVERYONE, NONE, Overwrite, OverwriteType, Permission
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
from accord.core.services.users import UserService
from accord.core.snowflake import Snowflake, SnowflakeGenerator
from tests.unit.fakes import FakeClock, FakePasswordHasher, RecordingInvalidations
from tests.unit.storage_fakes import FakeStorage, RecordingBus

NOW_MS = 1_717_200_000_000  # 2024-06-01
JOINED = datetime(2024, 1, 1, tzinfo=UTC)

OWNER = User(Snowflake(1), "owner")
MODERATOR = User(Snowflake(2), "moderator")
PEER = User(Snowflake(3), "peer")
HELPER = User(Snowflake(4), "helper")
MEMBER = User(Snowflake(5), "member")
OUTSIDER = User(Snowflake(6), "outsider")
STRANGER = User(Snowflake(7), "stranger")
GUILD_MEMBERS = (OWNER, MODERATOR, PEER, HELPER, MEMBER)
PEOPLE = (*GUILD_MEMBERS, OUTSIDER, STRANGER)

GUILD = Snowflake(100)
MOD_ROLE = Snowflake(200)
HELPER_ROLE = Snowflake(201)
CATEGORY = Snowflake(10)
GENERAL = Snowflake(11)
SECRET = Snowflake(12)
DM = Snowflake(13)  # made by World.dm

MODERATION = (
    Permission.KICK_MEMBERS
    | Permission.BAN_MEMBERS
    | Permission.MANAGE_CHANNELS
    | Permission.MANAGE_GUILD
    | Permission.MANAGE_MESSAGES
    | Permission.MANAGE_NICKNAMES
    | Permission.MANAGE_ROLES
)


class World:
    """Fake storage holding the guild, a recording bus, a stopped clock, and services."""

    def __init__(self) -> None:
        self.clock = FakeClock(NOW_MS)
        self.ids = SnowflakeGenerator(1, self.clock)
        self.storage = FakeStorage()
        self.bus = RecordingBus()
        self.invalidations = RecordingInvalidations()  # what the auth service announced
        for user in PEOPLE:
            self.storage.users.put(user)
            self.storage.users.accounts[user.id] = Account(
                user, f"{user.username}@example.com", f"hashed:{user.username}", JOINED
            )
        self.storage.guilds.rows[GUILD] = Guild(GUILD, "guild", OWNER.id)
        self.role(Role(GUILD, GUILD, "@everyone", DEFAULT_EVERYONE))
        self.role(Role(MOD_ROLE, GUILD, "moderators", MODERATION, position=2))
        self.role(Role(HELPER_ROLE, GUILD, "helpers", NONE, position=1))
        self.channel(Channel(CATEGORY, ChannelType.GUILD_CATEGORY, GUILD, "category"))
        self.channel(Channel(GENERAL, ChannelType.GUILD_TEXT, GUILD, "general", position=1))
        self.channel(
            Channel(
                SECRET,
                ChannelType.GUILD_TEXT,
                GUILD,
                "secret",
                position=2,
                overwrites=(
                    Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL),
                    Overwrite(MOD_ROLE, OverwriteType.ROLE, allow=Permission.VIEW_CHANNEL),
                ),
            )
        )
        self.join(OWNER)
        self.join(MODERATOR, MOD_ROLE)
        self.join(PEER, MOD_ROLE)
        self.join(HELPER, HELPER_ROLE)
        self.join(MEMBER)

    def role(self, role: Role) -> Role:
        self.storage.roles.rows[role.id] = role
        return role

    def channel(self, channel: Channel) -> Channel:
        self.storage.channels.rows[channel.id] = channel
        return channel

    def join(self, user: User, *role_ids: Snowflake, guild_id: Snowflake = GUILD) -> Member:
        member = Member(guild_id, user, JOINED, role_ids=role_ids)
        self.storage.members.rows[(guild_id, user.id)] = member
        return member

    def post(
        self,
        author: User,
        channel_id: Snowflake = GENERAL,
        content: str = "hello",
        *,
        message_id: Snowflake | None = None,
    ) -> Message:
        """A message stored as if sent (by default now, in #general)."""
        channel = self.storage.channels.rows[channel_id]
        message = Message(
            message_id or self.ids.next_id(), channel_id, author, content, channel.guild_id
        )
        self.storage.messages.rows[message.id] = message
        return message

    def dm(self, *users: User, channel_id: Snowflake = DM) -> Channel:
        return self.channel(
            Channel(channel_id, ChannelType.DM, recipient_ids=tuple(u.id for u in users))
        )

    def grant_everyone(self, permissions: Permission) -> None:
        """Give @everyone more permissions (or take some away with ``revoke_everyone``)."""
        everyone = self.storage.roles.rows[GUILD]
        self.role(Role(GUILD, GUILD, "@everyone", everyone.permissions | permissions))

    def revoke_everyone(self, permissions: Permission) -> None:
        everyone = self.storage.roles.rows[GUILD]
        self.role(Role(GUILD, GUILD, "@everyone", everyone.permissions & ~permissions))

    def member(self, user: User) -> Member | None:
        return self.storage.members.rows.get((GUILD, user.id))

    def roles_of(self, user: User) -> tuple[Snowflake, ...]:
        member = self.member(user)
        assert member is not None, f"{user.username} is not in the guild"
        return member.role_ids

    # The services, each over this world's storage, bus, ids and clock.
    def guilds(self) -> GuildService:
        return GuildService(self.storage, self.bus, self.ids, self.clock)

    def channels(self) -> ChannelService:
        return ChannelService(self.storage, self.bus, self.ids)

    def channel_positions(self) -> ChannelPositionService:
        return ChannelPositionService(self.storage, self.bus)

    def members(self) -> MemberService:
        return MemberService(self.storage, self.bus, self.ids, self.clock)

    def roles(self) -> RoleService:
        return RoleService(self.storage, self.bus, self.ids, self.clock)

    def bans(self) -> BanService:
        return BanService(self.storage, self.bus, self.ids, self.clock)

    def invites(self) -> InviteService:
        return InviteService(self.storage, self.bus, self.ids, self.clock)

    def messages(self) -> MessageService:
        return MessageService(self.storage, self.bus, self.ids, self.clock)

    def reactions(self) -> ReactionService:
        return ReactionService(self.storage, self.bus, self.ids, self.clock)

    def search(self) -> SearchService:
        return SearchService(self.storage)

    def auth(self) -> AuthService:
        """Each person's password is their username ("hashed:<username>" is stored)."""
        return AuthService(
            self.storage,
            FakePasswordHasher(),
            JwtAccessTokens(b"k" * 32),
            self.ids,
            self.clock,
            self.invalidations,
        )

    def users(self) -> UserService:
        return UserService(self.storage, self.bus, self.ids, self.clock, self.auth())

    def applications(self) -> ApplicationService:
        return ApplicationService(self.storage, self.bus, self.ids, self.clock)
