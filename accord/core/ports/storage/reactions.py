"""The reactions repository."""

from __future__ import annotations

from typing import Protocol

from accord.core.entities import Emoji, User
from accord.core.snowflake import Snowflake


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
