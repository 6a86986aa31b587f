"""A gateway session: who identified, what they asked for, and what they were sent.

A session outlives its connection: when the socket drops it is detached and
keeps collecting dispatches in its replay buffer until the resume window
ends, so a RESUME on a new connection continues exactly where the old one
stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from accord.core.entities import Application, User
from accord.core.events import Event
from accord.core.ports.presence import Status
from accord.core.snowflake import Snowflake
from accord.gateway.frames import PreparedDispatch
from accord.gateway.outbox import Transport
from accord.gateway.protocol import Intents
from accord.gateway.replay import ReplayBuffer

# Guild events that arrive while the session's GUILD_CREATE for that guild is
# still being read are held, then sent after it. Past this many the session
# is ended (op 9): a guild that busy during one snapshot read is pathological.
MAX_HELD_EVENTS: Final = 1024


class HeldOverflow(Exception):
    """Too many events arrived for a guild whose GUILD_CREATE is still being prepared."""


@dataclass(slots=True, eq=False)
class Session:
    """One identified session; `transport` is None while detached."""

    id: str
    user: User
    intents: Intents
    application: Application | None = None
    # What it authenticated with: a person's login session (refresh-token
    # family) or a bot's application. When that ends, so does the session.
    # None for a session handed over by another gateway until its RESUME.
    login: Snowflake | None = None
    large_threshold: int = 50
    status: Status = Status.ONLINE
    buffer: ReplayBuffer = field(default_factory=ReplayBuffer)
    guild_ids: set[Snowflake] = field(default_factory=set)
    # guild id -> events held until that guild's GUILD_CREATE is sent
    loading: dict[Snowflake, list[Event]] = field(default_factory=dict)
    # Dispatches that arrived before READY was sent (None once it was).
    early: list[PreparedDispatch] | None = field(default_factory=list)
    transport: Transport | None = None
    detached_at: float | None = None
    ended: bool = False
    # Ended because its login did (logout, password change ...): close with 4004.
    revoked: bool = False

    def start(self, ready: PreparedDispatch) -> None:
        """Send READY as the first dispatch, then whatever arrived while it was built."""
        early, self.early = self.early, None
        self.dispatch(ready)
        for prepared in early or ():
            self.dispatch(prepared)

    def dispatch(self, prepared: PreparedDispatch) -> None:
        """Number, keep and (if connected) send one dispatch."""
        if self.early is not None:
            if len(self.early) >= MAX_HELD_EVENTS:
                raise HeldOverflow(f"more than {MAX_HELD_EVENTS} events before READY")
            self.early.append(prepared)
            return
        frame = self.buffer.append(prepared)
        transport = self.transport
        if transport is not None and not transport.send(frame):
            # Too slow or gone: the connection is closed, the dispatch is kept.
            self.transport = None
            transport.abort()

    def hold(self, guild_id: Snowflake, event: Event) -> bool:
        """Keep a guild event for after GUILD_CREATE; False if the guild is not loading."""
        held = self.loading.get(guild_id)
        if held is None:
            return False
        if len(held) >= MAX_HELD_EVENTS:
            raise HeldOverflow(f"more than {MAX_HELD_EVENTS} events while loading {guild_id}")
        held.append(event)
        return True

    def send_raw(self, payload: bytes) -> None:
        """A non-dispatch payload (heartbeat ack, op 7, op 9): sent, never buffered."""
        transport = self.transport
        if transport is not None and not transport.send(payload):
            self.transport = None
            transport.abort()
