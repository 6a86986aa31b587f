"""The presence port: a user's status aggregated over all of their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

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


class PresenceStore(Protocol):
    async def set_session_status(
        self, user_id: Snowflake, session_id: str, status: Status
    ) -> Status:
        """Record one session's status; returns the user's aggregate status."""
        ...

    async def drop_session(self, user_id: Snowflake, session_id: str) -> Status:
        """Forget a session; returns the user's aggregate status afterwards."""
        ...

    async def get_statuses(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]: ...
