"""Domain entities: immutable records of what the server stores.

They hold ids as ``Snowflake`` ints and times as aware UTC datetimes; turning
them into Discord's JSON shapes happens at the surfaces, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from accord.core.permissions import Overwrite, Permission
from accord.core.snowflake import Snowflake, snowflake_datetime


class ChannelType(IntEnum):
    """Discord's channel type numbers for the kinds Accord serves."""

    GUILD_TEXT = 0
    DM = 1
    GROUP_DM = 3
    GUILD_CATEGORY = 4

    @property
    def in_guild(self) -> bool:
        return self in (ChannelType.GUILD_TEXT, ChannelType.GUILD_CATEGORY)

    @property
    def holds_messages(self) -> bool:
        return self is not ChannelType.GUILD_CATEGORY


class MessageType(IntEnum):
    DEFAULT = 0
    GUILD_MEMBER_JOIN = 7
    REPLY = 19


@dataclass(frozen=True, slots=True)
class User:
    id: Snowflake
    username: str
    discriminator: str = "0"
    global_name: str | None = None
    avatar: str | None = None
    bot: bool = False
    system: bool = False
    flags: int = 0
    # Privileged gateway intents this account is approved for (bots only).
    approved_intents: int = 0


@dataclass(frozen=True, slots=True)
class Account:
    """A human user's login: the user plus what only the owner sees."""

    user: User
    email: str
    password_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Application:
    """A bot application; its bot user authenticates with ``Bot <token>``."""

    id: Snowflake
    name: str
    owner_id: Snowflake
    bot: User
    description: str = ""
    bot_public: bool = True


@dataclass(frozen=True, slots=True)
class Guild:
    id: Snowflake
    name: str
    owner_id: Snowflake
    icon: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Role:
    id: Snowflake
    guild_id: Snowflake
    name: str
    permissions: Permission
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False

    @property
    def is_everyone(self) -> bool:
        """The @everyone role shares its guild's id, as on Discord."""
        return self.id == self.guild_id


@dataclass(frozen=True, slots=True)
class Channel:
    id: Snowflake
    type: ChannelType
    guild_id: Snowflake | None = None
    name: str | None = None
    topic: str | None = None
    position: int = 0
    parent_id: Snowflake | None = None
    last_message_id: Snowflake | None = None
    owner_id: Snowflake | None = None  # group DMs
    overwrites: tuple[Overwrite, ...] = ()
    recipient_ids: tuple[Snowflake, ...] = ()  # DMs and group DMs


@dataclass(frozen=True, slots=True)
class Member:
    guild_id: Snowflake
    user: User
    joined_at: datetime
    nick: str | None = None
    role_ids: tuple[Snowflake, ...] = ()
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Attachment:
    id: Snowflake
    filename: str
    size: int
    url: str
    content_type: str | None = None
    proxy_url: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Emoji:
    """A unicode emoji (``id`` None, ``name`` the character) or a custom one."""

    name: str
    id: Snowflake | None = None

    @property
    def key(self) -> str:
        """The one string that identifies this emoji in storage and in paths."""
        return self.name if self.id is None else f"{self.name}:{self.id}"


@dataclass(frozen=True, slots=True)
class ReactionCount:
    emoji: Emoji
    count: int
    me: bool


@dataclass(frozen=True, slots=True)
class MessageReference:
    message_id: Snowflake
    channel_id: Snowflake
    guild_id: Snowflake | None = None


@dataclass(frozen=True, slots=True)
class Message:
    id: Snowflake
    channel_id: Snowflake
    author: User
    content: str
    guild_id: Snowflake | None = None
    type: MessageType = MessageType.DEFAULT
    edited_at: datetime | None = None
    tts: bool = False
    mention_everyone: bool = False
    mention_ids: tuple[Snowflake, ...] = ()
    mention_role_ids: tuple[Snowflake, ...] = ()
    reference: MessageReference | None = None
    # The message ``reference`` points at has been deleted since (Discord then
    # answers ``referenced_message: null``).
    reference_deleted: bool = False
    pinned: bool = False
    flags: int = 0
    nonce: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reactions: tuple[ReactionCount, ...] = ()

    @property
    def created_at(self) -> datetime:
        return snowflake_datetime(self.id)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """What a send stores; ids and author come from the service."""

    id: Snowflake
    channel_id: Snowflake
    author_id: Snowflake
    content: str
    guild_id: Snowflake | None = None
    type: MessageType = MessageType.DEFAULT
    tts: bool = False
    mention_everyone: bool = False
    mention_ids: tuple[Snowflake, ...] = ()
    mention_role_ids: tuple[Snowflake, ...] = ()
    reference: MessageReference | None = None
    nonce: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    guild_id: Snowflake
    channel_id: Snowflake
    inviter_id: Snowflake | None
    created_at: datetime
    uses: int = 0
    max_uses: int = 0  # 0: unlimited
    max_age: int = 0  # seconds; 0: never expires
    temporary: bool = False

    @property
    def expires_at(self) -> datetime | None:
        if self.max_age == 0:
            return None
        return self.created_at + timedelta(seconds=self.max_age)


@dataclass(frozen=True, slots=True)
class Ban:
    guild_id: Snowflake
    user: User
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """One link of a rotating refresh-token chain; the family is the whole chain."""

    id: Snowflake
    user_id: Snowflake
    family_id: Snowflake
    token_hash: bytes
    expires_at: datetime
    revoked: bool = False
    replaced_by: Snowflake | None = None


@dataclass(frozen=True, slots=True)
class PermissionContext:
    """Everything the permission computation needs about one member, in one read."""

    guild_id: Snowflake
    owner_id: Snowflake
    user_id: Snowflake
    is_member: bool
    everyone: Permission
    member_role_ids: tuple[Snowflake, ...] = ()
    role_permissions: tuple[Permission, ...] = ()
    highest_role_position: int = 0
    channel: Channel | None = None
    # The member's own fields, for the partial member gateway events carry.
    nick: str | None = None
    joined_at: datetime | None = None
    member_flags: int = 0
