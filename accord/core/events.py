"""Domain events: what happened, addressed to who may see it.

A service publishes one Event per state change on the event-bus port; the
gateway turns it into a dispatch for each session allowed to see it. ``data``
is the dispatch's ``d`` already in Discord's shape, so it is serialized once
per event, never once per recipient.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.core.permissions import Permission
from accord.core.snowflake import Snowflake


@dataclass(frozen=True, slots=True)
class Event:
    """One dispatch-to-be.

    Audience rules, checked by the gateway for each session:
    - ``user_ids`` set: exactly those users (DMs, USER_UPDATE, a member's own
      GUILD_DELETE after a kick);
    - otherwise ``guild_id`` set: members of that guild, and when
      ``channel_id`` is set only those with ``required`` in that channel.
    """

    type: str  # Discord's dispatch name, e.g. "MESSAGE_CREATE"
    data: Mapping[str, Any]
    guild_id: Snowflake | None = None
    channel_id: Snowflake | None = None
    user_ids: frozenset[Snowflake] | None = None
    required: Permission = Permission.VIEW_CHANNEL
    # Users whose view of the guild changed with this event (joins, removals,
    # role and overwrite edits): the gateway refreshes them before delivering.
    affects: frozenset[Snowflake] = field(default_factory=frozenset)
    # Unix time of publication (wall clock, so processes can compare): how far
    # behind a gateway delivers is measured from it. Not part of the identity.
    at: float = field(default_factory=time.time, compare=False)
