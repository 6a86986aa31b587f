"""A client's send turned into a message: who may send, mentions, replies, nonces.

Pure, so the storage adapter can run it right after its read of the channel
and store the result in the same crossing (``MessageRepository.send_message``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accord.core.entities import MessageReference, MessageType, NewMessage
from accord.core.errors import Conflict
from accord.core.permissions import Permission
from accord.core.ports.storage import ChannelContext
from accord.core.services.access import channel_access_from
from accord.core.snowflake import Snowflake, parse_snowflake
from accord.core.validation import validate_content, validate_nonce

_USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
_ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")
# Mentions resolved per message; more are ignored, as Discord caps them too.
MAX_MENTIONS = 100


@dataclass(frozen=True, slots=True)
class Draft:
    """A send as the client gave it; validated when composed."""

    content: object
    nonce: object = None
    enforce_nonce: bool = False
    tts: bool = False
    reply_to: object = None  # message_reference.message_id


def _ids(pattern: re.Pattern[str], content: str) -> tuple[Snowflake, ...]:
    seen: dict[Snowflake, None] = {}
    for match in pattern.finditer(content):
        number = int(match.group(1))
        if number < 1 << 63:
            seen[Snowflake(number)] = None
        if len(seen) >= MAX_MENTIONS:
            break
    return tuple(seen)


def mentioned_users(content: str) -> tuple[Snowflake, ...]:
    """Distinct ``<@id>`` mentions in order of first use, at most MAX_MENTIONS."""
    return _ids(_USER_MENTION, content)


def compose_message(
    found: ChannelContext | None, draft: Draft, message_id: Snowflake, author_id: Snowflake
) -> NewMessage:
    """The message ``draft`` makes in the channel read as ``found``.

    Raises what the send is refused with, in the order a client sees them:
    unknown channel, not a text channel, missing SEND_MESSAGES, then bad
    content, nonce or reply id. Then storage checks, in the same crossing,
    whether a DM's author may still message its other recipient (50007) and
    whether the reply's target exists.
    """
    access = channel_access_from(found, author_id)
    channel = access.channel
    if not channel.type.holds_messages:
        raise Conflict("Cannot send messages in a non-text channel", discord_code=50008)
    access.require(Permission.SEND_MESSAGES)
    content = validate_content(draft.content)
    nonce = validate_nonce(draft.nonce)
    reference = None
    if draft.reply_to is not None:
        target = parse_snowflake(draft.reply_to, "message_reference.message_id")
        reference = MessageReference(target, channel.id, channel.guild_id)
    everyone = ("@everyone" in content or "@here" in content) and bool(
        access.permissions & Permission.MENTION_EVERYONE
    )
    return NewMessage(
        id=message_id,
        channel_id=channel.id,
        author_id=author_id,
        content=content,
        guild_id=channel.guild_id,
        type=MessageType.REPLY if reference else MessageType.DEFAULT,
        tts=draft.tts and bool(access.permissions & Permission.SEND_TTS_MESSAGES),
        mention_everyone=everyone,
        mention_ids=mentioned_users(content),
        mention_role_ids=_ids(_ROLE_MENTION, content) if channel.guild_id else (),
        reference=reference,
        nonce=None if nonce is None else str(nonce),
    )
