"""The users repository: accounts, profiles, settings and who may DM whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from accord.core.entities import Account, User
from accord.core.snowflake import Snowflake


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


class DeletionOutcome(Enum):
    DELETED = "deleted"
    NO_ACCOUNT = "no_account"  # no live human account has that id: nothing changed
    OWNS_GUILDS = "owns_guilds"  # refused while it owns a guild: nothing changed


@dataclass(frozen=True, slots=True)
class AccountDeletion:
    outcome: DeletionOutcome
    left_guild_ids: tuple[Snowflake, ...] = ()  # the guilds it was a member of, when deleted


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A user's own settings, as GET/PATCH /users/@me/settings show them."""

    allow_dms_from_anyone: bool = False


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

    async def delete_account(self, user_id: Snowflake, username: str) -> AccountDeletion:
        """Delete a human account, all or nothing, unless it owns a guild.

        Its login and profile are erased, keeping the user row (renamed to
        ``username``) for what it wrote; every login ends and every
        membership with it. No ownership transfer, guild creation or join can
        slip between the check and the deletion: the account neither ends up
        owning a guild nor a member of one once deleted.
        """
        ...
