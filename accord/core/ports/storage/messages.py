"""The messages repository: history, sends, edits, deletes, pins and search."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accord.core.entities import Channel, Message, NewMessage, PermissionContext
from accord.core.ports.storage.access import ChannelContext
from accord.core.snowflake import Snowflake


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A stored send and the channel it went to, as read when it was sent."""

    message: Message
    channel: Channel
    context: PermissionContext | None = None  # the author's, for guild channels


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
