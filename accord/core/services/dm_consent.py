"""Whether a user may still write into a DM (docs/decisions/0005-dm-consent.md).

Sends make this check in storage, in the same crossing as the send
(``accord/adapters/postgres/send_batches.py``). Everything else that writes
into a DM, a typing indicator or a reaction, makes it here, so that leaving
the last shared guild (or a recipient withdrawing consent) closes a DM to
all of them alike.
"""

from __future__ import annotations

from accord.core.entities import Channel, ChannelType
from accord.core.errors import CannotMessageUser
from accord.core.ports.storage import UserRepository
from accord.core.snowflake import Snowflake


async def require_dm_open(users: UserRepository, channel: Channel, sender_id: Snowflake) -> None:
    """Refuse (403, 50007) unless ``sender_id`` may message the DM's other recipient.

    Any other channel passes on a type test alone, with no query.
    """
    if channel.type is not ChannelType.DM:
        return
    others = [r for r in channel.recipient_ids if r != sender_id]
    if not others:  # the other recipient's account is gone
        raise CannotMessageUser()
    if not (await users.dm_standing(sender_id, others[0])).may_message:
        raise CannotMessageUser()
