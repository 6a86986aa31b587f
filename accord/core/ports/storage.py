"""The storage port: what services need from the database, one method per step.

Each method is one unit of work: the PostgreSQL adapter runs all of its queries
in one transaction and one crossing into asyncio, so a method either happens
whole or not at all. Lookups of things that do not exist return None (or
False); rule violations that only the database can see atomically (a ban
checked while joining, a spent invite) raise domain errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeAlias

from accord.core.entities import (
    Account,
    Application,
    Ban,
    Channel,
    Emoji,
    Guild,
    Invite,
    Member,
    Message,
    NewMessage,
    PermissionContext,
    RefreshToken,
    Role,
    User,
)
from accord.core.permissions import Overwrite
from accord.core.snowflake import Snowflake

# A channel and, for a guild channel, the caller's permission context in it.
ChannelContext: TypeAlias = tuple[Channel, PermissionContext | None]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A stored send and the channel it went to, as read when it was sent."""

    message: Message
    channel: Channel
    context: PermissionContext | None = None  # the author's, for guild channels


@dataclass(frozen=True, slots=True)
class DmStanding:
    """What decides whether a sender may DM a recipient."""

    shares_guild: bool
    open_to_anyone: bool  # the recipient allows DMs from people who share no guild
    has_dm: bool = False  # a DM between the two exists already

    @property
    def may_message(self) -> bool:
        """Discord's rule: a guild in common, or the recipient's consent."""
        return self.shares_guild or self.open_to_anyone


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A user's own settings, as GET/PATCH /users/@me/settings show them."""

    allow_dms_from_anyone: bool = False


@dataclass(frozen=True, slots=True)
class GuildCounts:
    member_count: int
    channel_count: int


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """A guild with what GUILD_CREATE and the guild GET carry."""

    guild: Guild
    roles: tuple[Role, ...]
    channels: tuple[Channel, ...]
    members: tuple[Member, ...]  # at most the requested number
    member_count: int


class RotateOutcome(Enum):
    ROTATED = "rotated"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"  # an already-rotated token: its whole family is now revoked


@dataclass(frozen=True, slots=True)
class RotateResult:
    outcome: RotateOutcome
    user_id: Snowflake | None = None
    family_id: Snowflake | None = None


@dataclass(frozen=True, slots=True)
class ChannelPosition:
    id: Snowflake
    position: int
    parent_id: Snowflake | None = None
    move_parent: bool = False  # False leaves parent_id unchanged


class UserRepository(Protocol):
    async def create_account(self, user: User, email: str, password_hash: str) -> Account:
        """Insert a human user; Conflict if the email or username is taken."""
        ...

    async def get_account_by_email(self, email: str) -> Account | None: ...

    async def get_account(self, user_id: Snowflake) -> Account | None: ...

    async def get_user(self, user_id: Snowflake) -> User | None: ...

    async def get_users(self, user_ids: Sequence[Snowflake]) -> list[User]:
        """The users that exist among ``user_ids``, in no particular order."""
        ...

    async def update_user(self, user: User) -> User | None:
        """Write username, global_name and avatar; Conflict if the username is taken."""
        ...

    async def set_password_hash(self, user_id: Snowflake, password_hash: str) -> bool: ...

    async def get_settings(self, user_id: Snowflake) -> UserSettings | None: ...

    async def update_settings(
        self, user_id: Snowflake, settings: UserSettings
    ) -> UserSettings | None:
        """Write every setting; None for an unknown user."""
        ...

    async def dm_standing(self, sender_id: Snowflake, recipient_id: Snowflake) -> DmStanding: ...

    async def delete_account(self, user_id: Snowflake, username: str) -> bool:
        """Erase a human account's login and profile, keeping the user row (renamed to
        ``username``) for what it wrote; every login ends with it. False if there was none."""
        ...


class ApplicationRepository(Protocol):
    async def create_application(self, application: Application, token_hash: bytes) -> Application:
        """Insert the application and its bot user together."""
        ...

    async def get_application(self, application_id: Snowflake) -> Application | None: ...

    async def list_applications(self, owner_id: Snowflake) -> list[Application]: ...

    async def set_bot_token(self, application_id: Snowflake, token_hash: bytes) -> bool:
        """Replace the bot token; the old one stops working at once."""
        ...

    async def get_bot_by_token(self, token_hash: bytes) -> Application | None: ...


class TokenRepository(Protocol):
    async def create_refresh_token(self, token: RefreshToken) -> None: ...

    async def rotate_refresh_token(
        self, token_hash: bytes, replacement: RefreshToken, now: datetime
    ) -> RotateResult:
        """Swap a live token for ``replacement`` (same family) atomically.

        Presenting a token that was already rotated or revoked revokes its
        whole family: the sign of a stolen token being replayed.
        """
        ...

    async def revoke_family(self, family_id: Snowflake) -> int:
        """Revoke every token of a login; returns how many were live."""
        ...

    async def revoke_user_logins(self, user_id: Snowflake) -> int:
        """Revoke every token of every login of the user; returns how many were live."""
        ...

    async def is_family_live(self, family_id: Snowflake, now: datetime) -> bool: ...


class GuildRepository(Protocol):
    async def create_guild(
        self, guild: Guild, everyone: Role, channels: Sequence[Channel], joined_at: datetime
    ) -> None:
        """Insert a guild with its @everyone role, first channels and the owner's membership."""
        ...

    async def get_guild(self, guild_id: Snowflake) -> Guild | None: ...

    async def get_guild_counts(self, guild_id: Snowflake) -> GuildCounts | None: ...

    async def get_guild_snapshot(
        self, guild_id: Snowflake, member_limit: int
    ) -> GuildSnapshot | None: ...

    async def update_guild(self, guild: Guild) -> Guild | None:
        """Write name, icon, description and owner_id (ownership transfer)."""
        ...

    async def delete_guild(self, guild_id: Snowflake) -> bool: ...

    async def list_user_guilds(
        self,
        user_id: Snowflake,
        *,
        after: Snowflake | None = None,
        before: Snowflake | None = None,
        limit: int = 200,
    ) -> list[Guild]:
        """The user's guilds in id order."""
        ...

    async def list_user_guild_ids(self, user_id: Snowflake) -> list[Snowflake]: ...


class ChannelRepository(Protocol):
    async def create_channel(self, channel: Channel) -> Channel: ...

    async def get_channel(self, channel_id: Snowflake) -> Channel | None:
        """The channel with its overwrites and (for DMs) recipients."""
        ...

    async def list_guild_channels(self, guild_id: Snowflake) -> list[Channel]: ...

    async def update_channel(
        self, channel: Channel, *, overwrites: Sequence[Overwrite] | None = None
    ) -> Channel | None:
        """Write name, topic, position and parent_id, and with ``overwrites`` replace them all."""
        ...

    async def delete_channel(self, channel_id: Snowflake) -> bool: ...

    async def set_channel_positions(
        self, guild_id: Snowflake, positions: Sequence[ChannelPosition]
    ) -> list[Channel]:
        """Apply all moves together; NotFound if an id is not a channel of the guild."""
        ...

    async def put_overwrite(self, channel_id: Snowflake, overwrite: Overwrite) -> None: ...

    async def delete_overwrite(self, channel_id: Snowflake, target_id: Snowflake) -> bool: ...

    async def open_dm(self, candidate: Channel) -> Channel:
        """The DM between the candidate's two recipients: the existing one, or the candidate."""
        ...

    async def list_private_channels(self, user_id: Snowflake) -> list[Channel]: ...


class RoleRepository(Protocol):
    async def create_role(self, role: Role) -> Role: ...

    async def get_role(self, guild_id: Snowflake, role_id: Snowflake) -> Role | None: ...

    async def list_roles(self, guild_id: Snowflake) -> list[Role]: ...

    async def update_role(self, role: Role) -> Role | None: ...

    async def delete_role(self, guild_id: Snowflake, role_id: Snowflake) -> bool:
        """Delete a role and unassign it from every member."""
        ...

    async def set_role_positions(
        self, guild_id: Snowflake, positions: Sequence[tuple[Snowflake, int]]
    ) -> list[Role]: ...


class MemberRepository(Protocol):
    async def add_member(
        self, guild_id: Snowflake, user_id: Snowflake, joined_at: datetime
    ) -> Member | None:
        """Join a guild; None if already a member; Conflict (banned) if banned."""
        ...

    async def get_member(self, guild_id: Snowflake, user_id: Snowflake) -> Member | None: ...

    async def list_members(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1
    ) -> list[Member]:
        """Members in user-id order after ``after``."""
        ...

    async def search_members(self, guild_id: Snowflake, prefix: str, limit: int) -> list[Member]:
        """Members whose username or nick starts with ``prefix`` (case-insensitive)."""
        ...

    async def get_members(
        self, guild_id: Snowflake, user_ids: Sequence[Snowflake]
    ) -> list[Member]: ...

    async def update_member(
        self,
        guild_id: Snowflake,
        user_id: Snowflake,
        *,
        nick: str | None,
        role_ids: Sequence[Snowflake],
    ) -> Member | None:
        """Write nick and the full role set; NotFound (role) for a role not of the guild."""
        ...

    async def add_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool: ...

    async def remove_member_role(
        self, guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake
    ) -> bool: ...

    async def remove_member(self, guild_id: Snowflake, user_id: Snowflake) -> bool: ...

    async def count_members(self, guild_id: Snowflake) -> int: ...

    async def list_guild_member_ids(self, guild_id: Snowflake) -> list[Snowflake]: ...


class BanRepository(Protocol):
    async def ban(
        self, guild_id: Snowflake, user_id: Snowflake, reason: str | None, banned_by: Snowflake
    ) -> bool:
        """Ban and remove the member together; False if already banned."""
        ...

    async def unban(self, guild_id: Snowflake, user_id: Snowflake) -> bool: ...

    async def get_ban(self, guild_id: Snowflake, user_id: Snowflake) -> Ban | None: ...

    async def list_bans(
        self, guild_id: Snowflake, *, after: Snowflake | None = None, limit: int = 1000
    ) -> list[Ban]: ...


class InviteRepository(Protocol):
    async def create_invite(self, invite: Invite) -> Invite: ...

    async def get_invite(self, code: str) -> Invite | None: ...

    async def list_guild_invites(self, guild_id: Snowflake) -> list[Invite]: ...

    async def list_channel_invites(self, channel_id: Snowflake) -> list[Invite]: ...

    async def delete_invite(self, code: str) -> Invite | None: ...

    async def accept_invite(
        self, code: str, user_id: Snowflake, now: datetime
    ) -> tuple[Invite, Member | None]:
        """Use an invite: NotFound if unknown, expired or used up, Conflict if banned.

        Returns the invite and the new member, or None when already a member
        (which uses nothing).
        """
        ...


class MessageRepository(Protocol):
    async def create_message(self, message: NewMessage, *, enforce_nonce: bool = False) -> Message:
        """Store a message and advance the channel's last_message_id.

        With ``enforce_nonce`` a nonce the author already used in this channel
        returns that earlier message instead of storing a second one.
        """
        ...

    async def send_message(
        self,
        channel_id: Snowflake,
        author_id: Snowflake,
        compose: Callable[[ChannelContext | None], NewMessage],
        *,
        enforce_nonce: bool = False,
    ) -> SentMessage | None:
        """A whole send as one operation: read, compose, check the reply, store.

        Reads what ``AccessRepository.channel_context`` would for the author,
        hands it to ``compose`` and stores the message it returns as
        ``create_message`` does (nonces included). ``compose`` must be pure,
        as it may run on another thread, and refuses the send by raising;
        then nothing is stored. CannotMessageUser, storing nothing, when it
        goes to a DM whose other recipient the author may not message
        (``DmStanding.may_message``). None, storing nothing, when the message
        replies to one that is not a live message of the channel.
        """
        ...

    async def get_message(
        self, channel_id: Snowflake, message_id: Snowflake, viewer_id: Snowflake
    ) -> Message | None:
        """A live message of the channel, with reactions as ``viewer_id`` sees them."""
        ...

    async def list_messages(
        self,
        channel_id: Snowflake,
        viewer_id: Snowflake,
        *,
        before: Snowflake | None = None,
        after: Snowflake | None = None,
        around: Snowflake | None = None,
        limit: int = 50,
    ) -> list[Message]:
        """Newest first, keyset on ids; at most one of before/after/around."""
        ...

    async def update_message(
        self,
        channel_id: Snowflake,
        message_id: Snowflake,
        *,
        content: str,
        mention_ids: Sequence[Snowflake],
        edited_at: datetime,
        viewer_id: Snowflake,
    ) -> Message | None: ...

    async def delete_message(self, channel_id: Snowflake, message_id: Snowflake) -> bool:
        """Delete a live message: its content, mentions, reply reference, reactions and
        attachments are erased; what paging needs (its id, channel and author) stays."""
        ...

    async def bulk_delete_messages(
        self, channel_id: Snowflake, message_ids: Sequence[Snowflake]
    ) -> list[Snowflake]:
        """Delete (as ``delete_message``) those that are live messages of the channel;
        returns which were."""
        ...

    async def delete_author_messages(
        self, guild_id: Snowflake, author_id: Snowflake, since: Snowflake
    ) -> dict[Snowflake, list[Snowflake]]:
        """Delete (as ``delete_message``) the author's live messages in the guild with
        ids above ``since``.

        Returns the deleted ids per channel, each list in id order.
        """
        ...

    async def set_pinned(
        self, channel_id: Snowflake, message_id: Snowflake, pinned: bool
    ) -> bool | None:
        """None for an unknown message; otherwise whether the pin state changed."""
        ...

    async def list_pins(self, channel_id: Snowflake, viewer_id: Snowflake) -> list[Message]: ...

    async def search_messages(
        self,
        guild_id: Snowflake,
        channel_ids: Sequence[Snowflake],
        query: str,
        viewer_id: Snowflake,
        *,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Message], int]:
        """Full-text matches within the given channels, newest first, and the total."""
        ...


class ReactionRepository(Protocol):
    async def add_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool | None:
        """None for an unknown message; otherwise whether the reaction is new."""
        ...

    async def remove_reaction(
        self, channel_id: Snowflake, message_id: Snowflake, user_id: Snowflake, emoji: Emoji
    ) -> bool: ...

    async def list_reaction_users(
        self,
        message_id: Snowflake,
        emoji: Emoji,
        *,
        after: Snowflake | None = None,
        limit: int = 25,
    ) -> list[User]: ...

    async def remove_all_reactions(
        self, channel_id: Snowflake, message_id: Snowflake, emoji: Emoji | None = None
    ) -> int | None:
        """Remove every reaction (or every one of ``emoji``); None for an unknown message."""
        ...


class AccessRepository(Protocol):
    async def permission_context(
        self, guild_id: Snowflake, user_id: Snowflake
    ) -> PermissionContext | None:
        """Owner, @everyone and the member's roles in one read; None for an unknown guild."""
        ...

    async def channel_context(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> ChannelContext | None:
        """A channel and, for guild channels, the caller's permission context."""
        ...


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
