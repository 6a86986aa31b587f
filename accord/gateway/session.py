"""A gateway session: who identified, what they asked for, and what they were sent.

A session outlives its connection: when the socket drops it is detached and
keeps collecting dispatches in its replay buffer until the resume window
ends, so a RESUME on a new connection continues exactly where the old one
stopped.

Its lifecycle is written here: attached to a connection (READY, RESUME),
detached from it, subscribed to guilds (and holding their events while
each GUILD_CREATE is read), given the login a RESUME authenticated with, and
ended (revoked when its login ended). No other module writes its fields. A
registered session changes through `SessionRegistry`'s methods of the same
names, which call these and keep the registry's indexes in step.
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
from accord.gateway.protocol import CloseCode, Intents
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

    def attach(self, transport: Transport) -> None:
        """Send over `transport` (for READY or a RESUME); a connection still held is dropped."""
        previous = self.transport
        if previous is not None:
            previous.abort()
        self.transport = transport
        self.detached_at = None

    def detach(self, now: float) -> None:
        """The connection is gone (dropped if still open); the resume window runs from `now`."""
        if self.transport is not None:
            self.transport.abort()
        self.transport = None
        self.detached_at = now

    def end(self) -> None:
        """Over for good, not resumable; the connection, if any, is dropped."""
        self.ended = True
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.abort()

    def revoke(self, reason: str) -> None:
        """Its login ended: over for good, and the connection is closed with 4004 and `reason`.

        Closed, not dropped: the close frame goes out first. `revoked` stays
        set, so an IDENTIFY or RESUME still under way answers with 4004 too.
        """
        self.revoked = True
        self.ended = True
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close(int(CloseCode.AUTHENTICATION_FAILED), reason)

    def set_login(self, login: Snowflake) -> None:
        """From now on it lasts as long as `login` (the login of a RESUME's token)."""
        self.login = login

    def set_status(self, status: Status) -> None:
        """Op 3: the status the client asked to show."""
        self.status = status

    def subscribe(self, guild_id: Snowflake, *, loading: bool = False) -> None:
        """Receive `guild_id`'s events; `loading` holds them until its GUILD_CREATE is sent."""
        self.guild_ids.add(guild_id)
        if loading:
            self.loading[guild_id] = []

    def unsubscribe(self, guild_id: Snowflake) -> None:
        """No more of `guild_id`'s events; those held for it are dropped."""
        self.guild_ids.discard(guild_id)
        self.loading.pop(guild_id, None)

    def loaded(self, guild_id: Snowflake) -> list[Event]:
        """Its GUILD_CREATE for `guild_id` was sent: the events held meanwhile, to send now."""
        return self.loading.pop(guild_id, [])

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
