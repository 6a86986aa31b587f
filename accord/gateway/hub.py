"""The gateway process's hub: its shared state and the use cases connections call.

`Hub` owns the session registry and the fan-out; a connection hands it an
IDENTIFY or RESUME and gets a session back, and tells it when it ends.

A session lives as long as the login it authenticated with: when a login
ends anywhere (logout, refresh replay, password change, account deletion,
bot token reset; heard from the auth service once its caches forgot it), every
session of it here is ended and its connection closed with 4004. The check
is made once per announcement, against an index, never per dispatch.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import trio

from accord.config import DEFAULTS
from accord.core.errors import AuthenticationError
from accord.core.ports.bus import EventBus
from accord.core.ports.handoff import SessionHandoffs
from accord.core.ports.invalidations import ENDING, Kind
from accord.core.ports.presence import PresenceStore, Status
from accord.core.ports.storage import Storage
from accord.core.services.auth import AuthService, Principal
from accord.core.snowflake import Snowflake
from accord.gateway.fanout import FanOut
from accord.gateway.frames import RECONNECT, encode_resumed, prepare_dispatch
from accord.gateway.guild_view import GuildView
from accord.gateway.handover import Handover
from accord.gateway.identify import (
    Identify,
    Resume,
    authorization_header,
    granted_intents,
    ready_payload,
    session_guild_create,
)
from accord.gateway.member_chunks import MembersRequest, member_chunks
from accord.gateway.outbox import Transport
from accord.gateway.presence_updates import PresenceUpdates
from accord.gateway.protocol import CloseCode, GatewayError
from accord.gateway.registry import SessionRegistry, TooManySessions
from accord.gateway.replay import InvalidSequence, ReplayPruned
from accord.gateway.session import Session
from accord.metrics import observe_state

log = logging.getLogger("accord.gateway")

# Ending a half-identified session (presence included) may take this long.
CLEANUP_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class HubConfig:
    heartbeat_interval_ms: int = DEFAULTS.heartbeat_interval_ms
    resume_window_s: float = DEFAULTS.resume_window_s
    # Advertised to clients as resume_gateway_url; set once the port is bound.
    public_url: str = ""
    # How often this process renews its presence liveness and looks for
    # processes whose liveness lapsed (a third of the presence TTL).
    presence_refresh_s: float = DEFAULTS.presence_ttl_s / 3


def _sessions(hub: Hub) -> dict[str, float]:
    connected = sum(1 for s in hub.registry if s.transport is not None)
    return {"connected": connected, "detached": len(hub.registry) - connected}


class ResumeRefused(Exception):
    """The session cannot be resumed (unknown, ended, someone else's, or pruned): op 9."""


class Hub:
    def __init__(
        self,
        storage: Storage,
        auth: AuthService,
        bus: EventBus,
        presence: PresenceStore,
        config: HubConfig,
        handoffs: SessionHandoffs | None = None,
    ) -> None:
        self.storage = storage
        self._auth = auth
        self.bus = bus
        self.presence = presence
        self.config = config
        self.registry = SessionRegistry(config.resume_window_s, trio.current_time)
        self.fanout = FanOut(self.registry, storage)
        self._handover = (
            None
            if handoffs is None
            else Handover(self.registry, self.fanout, bus, storage, handoffs)
        )
        self.presence_updates = PresenceUpdates(
            presence, bus, storage, self.fanout, config.presence_refresh_s
        )
        self._consumer = trio.CancelScope()
        observe_state(self, "accord_gateway_sessions", "Gateway sessions", "state", _sessions)
        observe_state(
            self,
            "accord_gateway_bus_lag_seconds",
            "Seconds from publication to delivery of the latest event",
            "bus",
            lambda hub: {"events": hub.fanout.lag},
        )
        # Set when the process is stopping: new connections are turned away.
        self.draining = False
        # Logins ended so far: an IDENTIFY or RESUME during which this moved
        # checks its token again (see _authenticated_still).
        self._endings = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Fan-out and session expiry, until cancelled."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self._consume)
            nursery.start_soon(self._follow_endings)
            nursery.start_soon(self.registry.wait_reaped, self.end)
            nursery.start_soon(self.presence_updates.run)
            task_status.started()

    async def _consume(self, *, task_status: trio.TaskStatus[None]) -> None:
        with self._consumer:
            await self.fanout.run(self.bus, task_status=task_status)

    async def hand_over(self) -> int:
        """Stopping: hand every session to the shared store and send op 7; returns how many."""
        self.draining = True
        if self._handover is None:
            return 0
        return await self._handover.hand_over(self._consumer)

    async def identify(self, request: Identify, transport: Transport) -> Session:
        """Start a session: READY now, then one GUILD_CREATE per guild as each is read."""
        endings = self._endings
        principal = await self._authenticate(request.token)
        user = principal.user
        session = Session(
            id=secrets.token_hex(16),
            user=user,
            intents=granted_intents(request.intents, user),
            application=principal.application,
            login=principal.login,
            large_threshold=request.large_threshold,
            status=request.status,
        )
        try:
            self.registry.add(session)
        except TooManySessions as exc:
            raise GatewayError(CloseCode.UNKNOWN_ERROR, str(exc)) from None
        try:
            await self._authenticated_still(request.token, endings)
            await self._start(session, transport)
        except BaseException:
            # Half-identified (cancelled, or the database failed): nothing may linger.
            with trio.move_on_after(CLEANUP_TIMEOUT_S) as cleanup:
                cleanup.shield = True
                await self.end(session)
            raise
        return session

    async def _start(self, session: Session, transport: Transport) -> None:
        # Registered before anything is read, so events from here on are kept
        # (user events until READY, guild events until their GUILD_CREATE).
        guild_ids = await self.storage.guilds.list_user_guild_ids(session.user.id)
        for guild_id in guild_ids:
            if guild_id not in session.guild_ids:
                self.registry.subscribe(session, guild_id, loading=True)
        ready = await ready_payload(
            self.storage,
            session.user,
            session.application,
            session.id,
            guild_ids,
            self.config.public_url,
        )
        if session.revoked:
            raise GatewayError(CloseCode.AUTHENTICATION_FAILED, "the session's login has ended")
        if session.ended:  # swamped with events before READY could be sent
            raise GatewayError(CloseCode.UNKNOWN_ERROR, "too many events arrived before READY")
        session.attach(transport)
        session.start(prepare_dispatch("READY", ready))
        await self.presence_updates.set(session, session.status)
        for guild_id in guild_ids:
            await self._send_guild(session, guild_id)

    async def _send_guild(self, session: Session, guild_id: Snowflake) -> None:
        if session.ended or guild_id not in session.loading:
            return  # ended, or left the guild while READY was being built
        user_id = session.user.id
        snapshot = await self.storage.guilds.get_guild_snapshot(guild_id, session.large_threshold)
        own = await self.storage.members.get_members(guild_id, [user_id])
        if snapshot is None or not own or session.ended:
            self.registry.unsubscribe(session, guild_id)
            return
        payload = await session_guild_create(
            snapshot, own[0], self.presence, session.large_threshold
        )
        if session.ended or guild_id not in session.loading:
            return
        view = self.registry.view(guild_id)
        if view is None:
            self.registry.set_view(guild_id, GuildView.from_snapshot(snapshot, own))
        else:
            view.add_members(own)
        session.dispatch(prepare_dispatch("GUILD_CREATE", payload))
        self.fanout.release(session, guild_id)

    async def resume(self, request: Resume, transport: Transport) -> Session:
        """Reattach a session and replay what it missed; ResumeRefused means op 9."""
        endings = self._endings
        principal = await self._authenticate(request.token)
        session = self.registry.get(request.session_id)
        if session is None and self._handover is not None:
            try:
                session = await self._handover.adopt(request.session_id, principal.user.id)
            except TooManySessions as exc:
                raise GatewayError(CloseCode.UNKNOWN_ERROR, str(exc)) from None
            if session is not None:
                await self.presence_updates.set(session, session.status)
        if session is None or session.ended or session.user.id != principal.user.id:
            raise ResumeRefused("unknown session")
        # The session now lives as long as the login that resumed it.
        self.registry.set_login(session, principal.login)
        try:
            await self._authenticated_still(request.token, endings)
        except GatewayError:
            await self.end(session)
            raise
        if session.revoked:
            raise GatewayError(CloseCode.AUTHENTICATION_FAILED, "the session's login has ended")
        if session.ended:
            raise ResumeRefused("the session ended while resuming")
        try:
            frames = session.buffer.since(request.seq)
        except InvalidSequence:
            raise GatewayError(CloseCode.INVALID_SEQ, "seq is ahead of this session") from None
        except ReplayPruned:
            await self.end(session)
            raise ResumeRefused("the session's buffer no longer reaches back to seq") from None
        # From here to the last replayed frame nothing awaits, so no live
        # dispatch can slip in between the replay and RESUMED.
        session.attach(transport)
        for frame in frames:
            if not transport.send(frame):
                break
        transport.send(encode_resumed(session.buffer.last_seq))
        return session

    def detach(self, session: Session, transport: Transport) -> None:
        """The connection carrying `session` ended in a way that allows RESUME."""
        # None: the outbox already dropped it (too slow) and the window starts now.
        if session.transport is transport or (
            session.transport is None and session.detached_at is None
        ):
            self.registry.detach(session)

    async def end(self, session: Session) -> None:
        """The session is over: forget it and tell others if the user went offline."""
        if self.registry.get(session.id) is not session:
            return
        guild_ids = set(session.guild_ids)
        self.registry.end(session)
        await self._went_away(session, guild_ids)

    async def end_login(self, kind: Kind, key: int) -> int:
        """A login ended (`kind` in ENDING): end its sessions here with 4004; returns how many."""
        self._endings += 1
        if kind == "logins":
            sessions = self.registry.sessions_of_user(Snowflake(key))
        else:
            sessions = self.registry.sessions_of_login(Snowflake(key))
        # Every session is forgotten before the first await, so none of them
        # can be resumed or sent to from here on.
        left: list[tuple[Session, set[Snowflake]]] = []
        for session in sessions:
            left.append((session, set(session.guild_ids)))
            session.revoke("the session's login ended")
            self.registry.end(session)
        for session, guild_ids in left:
            await self._went_away(session, guild_ids)
        if sessions:
            log.info("%s %s ended: %d gateway sessions closed", kind, key, len(sessions))
        return len(sessions)

    async def _follow_endings(self) -> None:
        """End the sessions of every login that ends, in this process or another.

        The auth service passes each announcement on once this process's
        caches have forgotten it, so a token checked again from here on
        (_authenticated_still) is looked up in storage; the caches are not
        flushed here a second time.
        """
        applied = self._auth.applied
        if applied is None:
            return
        async with applied.listen() as announced:
            async for kind, key in announced:
                if kind in ENDING:
                    await self.end_login(kind, key)

    async def _authenticate(self, token: str) -> Principal:
        try:
            return await self._auth.authenticate(authorization_header(token))
        except AuthenticationError:
            raise GatewayError(CloseCode.AUTHENTICATION_FAILED, "invalid token") from None

    async def _authenticated_still(self, token: str, endings: int) -> None:
        """4004 if the session's login ended while it was being authenticated.

        Its login is indexed now, so later endings find it; one that came
        while its token was being checked may have been missed, and then the
        token is checked again (the cache forgot the ended login first). The
        caller ends the session on 4004.
        """
        if self._endings == endings:
            return
        try:
            await self._auth.authenticate(authorization_header(token))
        except AuthenticationError:
            raise GatewayError(
                CloseCode.AUTHENTICATION_FAILED, "the session's login has ended"
            ) from None

    async def _went_away(self, session: Session, guild_ids: set[Snowflake]) -> None:
        try:
            await self.presence_updates.went_away(session, guild_ids)
        except Exception:
            # Connection ends and the reaper call this outside any other
            # boundary, so a presence store that is away (Redis) would stop
            # the whole gateway; the session itself is already forgotten.
            log.exception("session %s ended; its presence could not be updated", session.id)

    async def set_status(self, session: Session, status: Status) -> None:
        """Op 3: the session's status changed."""
        session.set_status(status)
        await self.presence_updates.set(session, status)

    async def request_members(self, session: Session, request: MembersRequest) -> None:
        """Op 8: answer with GUILD_MEMBERS_CHUNK dispatches."""
        is_member = request.guild_id in session.guild_ids
        chunks = await member_chunks(
            self.storage, self.presence, request, session.intents, is_member
        )
        for chunk in chunks:
            session.dispatch(prepare_dispatch("GUILD_MEMBERS_CHUNK", chunk))

    def reconnect(self, session_id: str) -> bool:
        """Send op 7 to a connected session (the client is expected to RESUME)."""
        session = self.registry.get(session_id)
        if session is None or session.transport is None:
            return False
        session.send_raw(RECONNECT)
        return True
