"""The invites repository: invites and their use to join a guild."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from accord.core.entities import Invite, Member
from accord.core.snowflake import Snowflake


class InviteRepository(Protocol):
    async def create_invite(self, invite: Invite) -> Invite: ...

    async def get_invite(self, code: str) -> Invite | None: ...

    async def list_guild_invites(self, guild_id: Snowflake) -> list[Invite]: ...

    async def list_channel_invites(self, channel_id: Snowflake) -> list[Invite]: ...

    async def delete_invite(self, code: str) -> Invite | None: ...

    async def accept_invite(
        self, code: str, user_id: Snowflake, now: datetime
    ) -> tuple[Invite, Member | None]:
        """Use an invite: NotFound if unknown, expired or used up (or the account is
        deleted or being deleted: Unknown User), Conflict if banned.

        Returns the invite and the new member, or None when already a member
        (which uses nothing).
        """
        ...
