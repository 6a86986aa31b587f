"""The presence port: a user's status aggregated over all of their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import NamedTuple, Protocol

from accord.core.snowflake import Snowflake


class Status(Enum):
    ONLINE = "online"
    IDLE = "idle"
    DND = "dnd"
    INVISIBLE = "invisible"  # shown to others as offline
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class PresenceState:
    user_id: Snowflake
    status: Status
    last_seen: datetime | None = None


# When a user's sessions disagree, the most present status shows: someone
# online on one device and idle on another is online.
_RANK = {Status.ONLINE: 4, Status.DND: 3, Status.IDLE: 2, Status.INVISIBLE: 1, Status.OFFLINE: 0}


def aggregate(statuses: list[Status]) -> Status:
    """One user's status as others see it (invisible shows as offline)."""
    if not statuses:
        return Status.OFFLINE
    best = max(statuses, key=_RANK.__getitem__)
    return Status.OFFLINE if best is Status.INVISIBLE else best


class StatusChange(NamedTuple):
    """A user's aggregate status just before and just after one change to their sessions."""

    before: Status
    after: Status


class PresenceStore(Protocol):
    # Both changes read the aggregate before and after in the same atomic step:
    # read apart, two sessions of one user changing at once could each see the
    # other's change as its own "before", and an announcement would be lost.

    async def set_session_status(
        self, user_id: Snowflake, session_id: str, status: Status
    ) -> StatusChange:
        """Record one session's status."""
        ...

    async def drop_session(self, user_id: Snowflake, session_id: str) -> StatusChange:
        """Forget a session."""
        ...

    async def get_statuses(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]: ...

    async def keep_alive(self) -> None:
        """Tell other processes this one still holds its sessions (call every few seconds)."""
        ...

    async def reap_departed(self) -> list[PresenceState]:
        """Drop the sessions of processes that stopped keeping alive.

        Returns the users whose aggregate status changed because of it, so
        the caller can tell others they went offline.
        """
        ...
