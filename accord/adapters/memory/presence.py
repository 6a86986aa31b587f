"""The in-process presence store of the single-process default."""

from __future__ import annotations

from datetime import datetime

from accord.core.clock import Clock, utc_from_ms
from accord.core.ports.presence import PresenceState, Status, StatusChange, aggregate
from accord.core.snowflake import Snowflake

# Users whose last-seen time is remembered after their last session ends;
# past it the oldest entries are forgotten (they read as never seen).
MAX_LAST_SEEN = 100_000


class InMemoryPresence:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._sessions: dict[Snowflake, dict[str, Status]] = {}
        self._last_seen: dict[Snowflake, datetime] = {}

    # No await between reading and changing: on one Trio thread each change is atomic.

    async def set_session_status(
        self, user_id: Snowflake, session_id: str, status: Status
    ) -> StatusChange:
        mine = self._sessions.setdefault(user_id, {})
        before = aggregate(list(mine.values()))
        mine[session_id] = status
        return StatusChange(before, aggregate(list(mine.values())))

    async def drop_session(self, user_id: Snowflake, session_id: str) -> StatusChange:
        mine = self._sessions.get(user_id, {})
        before = aggregate(list(mine.values()))
        mine.pop(session_id, None)
        if not mine:
            self._sessions.pop(user_id, None)
            # Re-inserted, not updated in place: dict order is the eviction order.
            self._last_seen.pop(user_id, None)
            if len(self._last_seen) >= MAX_LAST_SEEN:
                self._last_seen.pop(next(iter(self._last_seen)))
            self._last_seen[user_id] = utc_from_ms(self._clock.now_ms())
        return StatusChange(before, aggregate(list(mine.values())))

    async def get_statuses(self, user_ids: list[Snowflake]) -> dict[Snowflake, PresenceState]:
        found: dict[Snowflake, PresenceState] = {}
        for user_id in user_ids:
            mine = self._sessions.get(user_id)
            status = aggregate(list(mine.values())) if mine else Status.OFFLINE
            found[user_id] = PresenceState(user_id, status, self._last_seen.get(user_id))
        return found

    async def keep_alive(self) -> None:
        """One process: nobody else to tell."""

    async def reap_departed(self) -> list[PresenceState]:
        return []  # one process: its sessions end with it
