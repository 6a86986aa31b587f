"""Rolling restarts: a stopping gateway hands its sessions over, another adopts them on RESUME.

Handing over happens between two events: under the fan-out's lock the
consumer is stopped, and every session is stored with the bus position
everything had been delivered through. Adopting does the converse: under the
adopter's own lock, once its consumer has caught up with that position, the
events published between the two positions are delivered to the session
alone, and from then on it receives live events like any other. Nothing is
lost and nothing arrives twice.
"""

from __future__ import annotations

import logging
from typing import Final

import trio

from accord.core.ports.bus import EventBus
from accord.core.ports.handoff import Handoff, SessionHandoffs
from accord.core.ports.storage import Storage
from accord.core.snowflake import Snowflake
from accord.gateway.fanout import FanOut
from accord.gateway.frames import RECONNECT
from accord.gateway.handover_codec import HandedOff, decode_session, encode_session
from accord.gateway.registry import SessionRegistry
from accord.gateway.session import Session

log = logging.getLogger("accord.gateway")

# How long an adopting gateway waits for its own consumer to reach the
# position the stopping one had delivered through (it is usually there).
CATCH_UP_TIMEOUT_S: Final = 5.0
# Encoded sessions not yet written, at most (bytes): a session with a full
# replay buffer encodes to about 2 MB, so a stopping gateway writes as it goes.
CHUNK_BYTES: Final = 16 * 1024 * 1024


class Handover:
    def __init__(
        self,
        registry: SessionRegistry,
        fanout: FanOut,
        bus: EventBus,
        storage: Storage,
        handoffs: SessionHandoffs,
    ) -> None:
        self._registry = registry
        self._fanout = fanout
        self._bus = bus
        self._storage = storage
        self._handoffs = handoffs

    async def hand_over(self, stop_consumer: trio.CancelScope) -> int:
        """Store every live session, then send op 7 to the connected ones; returns how many."""
        stored: list[Session] = []
        chunk: list[tuple[Session, Handoff]] = []

        async def write_chunk() -> None:
            await self._handoffs.put_many([handoff for _, handoff in chunk])
            stored.extend(session for session, _ in chunk)
            chunk.clear()

        try:
            async with self._fanout.lock:
                position = self._fanout.position
                if position is None:
                    return 0  # a bus without replay: nobody could continue from here
                stop_consumer.cancel()
                now, window = trio.current_time(), self._registry.resume_window
                size = 0
                for session in list(self._registry):  # the writes below await
                    if session.ended or session.early is not None or session.loading:
                        # Mid-IDENTIFY: its held events and missing GUILD_CREATEs
                        # cannot travel, so it would resume short of them.
                        continue
                    left = (
                        window
                        if session.detached_at is None
                        else window - (now - session.detached_at)
                    )
                    if left <= 0:
                        continue
                    state = encode_session(session, position)
                    chunk.append((session, Handoff(session.id, state, left)))
                    size += len(state)
                    if size >= CHUNK_BYTES:
                        await write_chunk()
                        size = 0
                if chunk:
                    await write_chunk()
        finally:
            # Sessions already stored can resume elsewhere, even if a later write failed.
            for session in stored:
                session.send_raw(RECONNECT)
        return len(stored)

    async def adopt(self, session_id: str, user_id: Snowflake) -> Session | None:
        """Take over a session another gateway handed over; None if there is none for this user."""
        raw = await self._handoffs.take(session_id)
        if raw is None:
            return None
        try:
            handed = decode_session(raw)
        except ValueError as exc:
            log.warning("handed-over session %s unreadable: %s", session_id, exc)
            return None
        if handed.user_id != user_id:
            # Someone else's session id: leave it for its owner.
            await self._handoffs.put(session_id, raw, self._registry.resume_window)
            return None
        session = await self._rebuild(handed)
        if session is None:
            return None
        with trio.move_on_after(CATCH_UP_TIMEOUT_S):
            while not await self._continue(session, handed):
                await self._fanout.wait_handled()
            return session
        log.warning("session %s: this gateway did not catch up; not adopted", session_id)
        await self._handoffs.put(session_id, raw, self._registry.resume_window)
        return None

    async def _rebuild(self, handed: HandedOff) -> Session | None:
        user = await self._storage.users.get_user(handed.user_id)
        if user is None:
            return None
        application = None
        if handed.application_id is not None:
            application = await self._storage.applications.get_application(handed.application_id)
        return Session(
            id=handed.session_id,
            user=user,
            intents=handed.intents,
            application=application,
            large_threshold=handed.large_threshold,
            status=handed.status,
            buffer=handed.buffer,
            early=None,
        )

    async def _continue(self, session: Session, handed: HandedOff) -> bool:
        """Register the session and deliver what it missed; False if our consumer lags behind."""
        async with self._fanout.lock:
            position = self._fanout.position or {}
            if await self._bus.replay(position, handed.position):
                return False  # events the old gateway had delivered and we have not yet
            missed = await self._bus.replay(handed.position, position)
            self._registry.add(session)
            self._registry.detach(session)  # until the RESUME attaches it
            try:
                for guild_id in handed.guild_ids:
                    await self._fanout.refresh(guild_id, {session.user.id})
                for event in missed:
                    await self._fanout.deliver_to(event, session)
            except BaseException:
                # Cancelled (the catch-up timeout) or failed part way: a session
                # left registered here would be resumed short of what it missed.
                self._registry.end(session)
                raise
            return True
