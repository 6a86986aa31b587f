"""What others see of who is here: status changes, departures, joins, processes that died.

Every change is published as PRESENCE_UPDATE events (one per guild of the
user) on the bus, so the fan-out, on this process or any other, delivers it
to the members that asked for presences.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Protocol

import trio

from accord.core.events import Event
from accord.core.ports.bus import EventBus
from accord.core.ports.presence import PresenceStore, Status
from accord.core.ports.storage import GuildRepository
from accord.core.snowflake import Snowflake
from accord.gateway.fanout import FanOut
from accord.gateway.identify import presence_shape
from accord.gateway.session import Session

log = logging.getLogger("accord.gateway")


class PresenceUpdateStorage(Protocol):
    """The repository that says which guilds a user's presence goes to."""

    @property
    def guilds(self) -> GuildRepository: ...


class PresenceUpdates:
    def __init__(
        self,
        presence: PresenceStore,
        bus: EventBus,
        storage: PresenceUpdateStorage,
        fanout: FanOut,
        refresh_s: float,
    ) -> None:
        self._presence = presence
        self._bus = bus
        self._storage = storage
        self._fanout = fanout
        self._refresh_s = refresh_s
        # Per user while a change of theirs is under way; dropped when none waits.
        self._changing: dict[Snowflake, trio.Lock] = {}

    async def run(self) -> None:
        """The chores that run beside the fan-out, until cancelled."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._keep_alive)
            nursery.start_soon(self._clear_overflowed)
            nursery.start_soon(self._announce_joiners)

    async def set(self, session: Session, status: Status) -> None:
        """Record a session's status; announce it if what others see changed."""
        user_id = session.user.id
        async with self._one_at_a_time(user_id):
            change = await self._presence.set_session_status(user_id, session.id, status)
            if change.after is not change.before:
                await self.announce(user_id, session.guild_ids, change.after)

    async def went_away(self, session: Session, guild_ids: Iterable[Snowflake]) -> None:
        """A session ended: announce what others now see, if that changed.

        Offline if it was the user's last visible session; otherwise what their
        other sessions show (online on a desktop that left, idle on a phone that
        stays, shows idle). An invisible user already looks offline.
        """
        user_id = session.user.id
        async with self._one_at_a_time(user_id):
            change = await self._presence.drop_session(user_id, session.id)
            if change.after is not change.before:
                await self.announce(user_id, guild_ids, change.after)

    @asynccontextmanager
    async def _one_at_a_time(self, user_id: Snowflake) -> AsyncIterator[None]:
        """One user's changes on this process announced in the order they were made.

        The store orders the changes themselves; without this, two of them (a
        phone going idle as the desktop leaves) could be published the other
        way round, and others would be left seeing the older status.
        """
        lock = self._changing.setdefault(user_id, trio.Lock())
        try:
            async with lock:
                yield
        finally:
            # Released with nobody waiting (a waiter would hold it by now).
            if not lock.locked() and self._changing.get(user_id) is lock:
                del self._changing[user_id]

    async def announce(
        self, user_id: Snowflake, guild_ids: Iterable[Snowflake], status: Status
    ) -> None:
        for guild_id in list(guild_ids):
            data = presence_shape(user_id, status, guild_id)
            await self._bus.publish(Event("PRESENCE_UPDATE", data, guild_id=guild_id))

    async def _keep_alive(self) -> None:
        """Renew this process's liveness; announce users of departed processes as offline."""
        while True:
            await trio.sleep(self._refresh_s)
            try:
                await self._presence.keep_alive()
                for state in await self._presence.reap_departed():
                    guilds = await self._storage.guilds.list_user_guild_ids(state.user_id)
                    await self.announce(state.user_id, guilds, state.status)
            except Exception:
                # A periodic chore: log it and try again next round, never stop serving.
                log.exception("presence upkeep failed")

    async def _clear_overflowed(self) -> None:
        """Presence of the sessions the fan-out ended for holding too many events."""
        async for session, guild_ids in self._fanout.ended:
            try:
                await self.went_away(session, guild_ids)
            except Exception:
                log.exception("session %s ended; its presence could not be updated", session.id)

    async def _announce_joiners(self) -> None:
        """A connected user who joins a guild appears, with their status, to its members."""
        async for user_id, guild_id in self._fanout.joined:
            try:
                status = (await self._presence.get_statuses([user_id]))[user_id].status
                if status is not Status.OFFLINE:
                    await self.announce(user_id, (guild_id,), status)
            except Exception:
                log.exception("presence of %s joining %s not announced", user_id, guild_id)
