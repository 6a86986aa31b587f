"""Domain events in, dispatches out: who receives each event, in what form.

One task consumes the event bus in order. For each event it first refreshes
what the event changes about the audience (a guild's roles, channels,
members; who joined or left), then delivers: the event's `d` is serialized
once (twice when some recipients get the content-blanked form), and each
recipient's frame only splices in its own sequence number.

A session receives an event only if its user may see it (a member of the
guild with the required permission in the channel, or a targeted user) and
its intents ask for it. When an event changes who may see a channel, those
who lost sight of it are sent CHANNEL_DELETE and those who gained it
CHANNEL_CREATE (channel_sight.py); a deleted channel is announced to those
who could see it before. Without MESSAGE_CONTENT, guild messages arrive with
content, embeds, attachments and components blanked, except the user's own
and those that mention the user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Final

import trio

from accord.core.events import Event
from accord.core.ports.bus import BusPosition, EventBus
from accord.core.snowflake import Snowflake
from accord.gateway.channel_sight import sight_changes, sight_events
from accord.gateway.frames import PreparedDispatch, prepare_dispatch
from accord.gateway.guild_view import GuildView, GuildViewStorage, load_view
from accord.gateway.outbox import coalesced_writes
from accord.gateway.protocol import DISPATCH_GATES, NO_INTENTS, Intents
from accord.gateway.registry import SessionRegistry
from accord.gateway.session import HeldOverflow, Session
from accord.metrics import DELIVERIES, DELIVERY_SECONDS, DISPATCHES

log = logging.getLogger("accord.gateway")

# Events after which a guild's view is read again before delivery: they
# change ownership, roles, channel overwrites or membership.
_RELOADS: Final = frozenset(
    {
        "GUILD_UPDATE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE",
        "GUILD_MEMBER_REMOVE",
    }
)
_CONTENT_EVENTS: Final = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE"})
# Presence changes waiting for the gateway (sessions ended by an overflow,
# users who joined a guild). Both are rare; past this many at once the
# excess is logged and skipped: an ended session's presence then lapses with
# the process's liveness, a joiner shows up at the next status change.
PRESENCE_QUEUE: Final = 1024
# Events already waiting that one pass delivers with each connection's frames
# written together (one write per connection instead of one per event). Few,
# because the first event's frames wait for the last event's delivery.
BURST: Final = 8
_BLANKED: Final = {"content": "", "embeds": [], "attachments": [], "components": []}
# Intent checks run once per recipient, so they use plain ints: IntFlag's own
# `&` builds a new flag object each time (about 1 us, a tenth of a delivery).
_MESSAGE_CONTENT: Final = int(Intents.MESSAGE_CONTENT)


def _user_id(data: Mapping[str, Any], key: str) -> Snowflake | None:
    user = data.get(key)
    if isinstance(user, Mapping) and isinstance(user.get("id"), str):
        return Snowflake(int(user["id"]))
    return None


def _content_readers(data: Mapping[str, Any]) -> frozenset[Snowflake]:
    """The author and the mentioned users: they see content without MESSAGE_CONTENT."""
    readers = {Snowflake(int(m["id"])) for m in data.get("mentions", ()) if "id" in m}
    author = _user_id(data, "author")
    if author is not None:
        readers.add(author)
    return frozenset(readers)


@dataclass(frozen=True, slots=True)
class Reloaded:
    """What reading a guild's view again before an event found."""

    before: GuildView | None  # the view the event's changes were not yet in
    sight: list[Event] = field(default_factory=list)  # CHANNEL_CREATE/DELETE for some users

    def judged_by(self, event: Event, current: GuildView | None) -> GuildView | None:
        # A deleted channel is in the old view only: it goes to those who saw it there.
        if event.type == "CHANNEL_DELETE" and self.before is not None:
            return self.before
        return current

    def told_create(self, event: Event) -> frozenset[Snowflake]:
        """Users sent CHANNEL_CREATE for the event's channel instead of the event itself."""
        if event.channel_id is None:
            return frozenset()
        ids = str(event.channel_id)
        return frozenset(
            u
            for e in self.sight
            if e.type == "CHANNEL_CREATE" and e.data.get("id") == ids and e.user_ids
            for u in e.user_ids
        )


class Delivery:
    """One event on its way to many sessions; serializes lazily, at most once per form."""

    __slots__ = (
        "_blank",
        "_full",
        "_readers",
        "blankable",
        "event",
        "needed",
        "required",
        "scoped",
        "sent",
        "skip",
        "subject",
        "view",
    )

    def __init__(
        self, event: Event, view: GuildView | None, skip: frozenset[Snowflake] = frozenset()
    ) -> None:
        self.event = event
        gate = DISPATCH_GATES.get(event.type)
        if gate is None:
            self.needed = int(NO_INTENTS)
        else:
            self.needed = int(gate.guild if event.guild_id is not None else gate.dm)
        # Channel permissions apply to guild-wide audiences, not targeted ones.
        self.scoped = event.channel_id is not None and event.user_ids is None
        self.view = view
        self.skip = skip
        self.required = int(event.required)
        self.sent = 0
        self.blankable = event.guild_id is not None and event.type in _CONTENT_EVENTS
        # Presence goes to others: a user's own clients are not told of it.
        self.subject = _user_id(event.data, "user") if event.type == "PRESENCE_UPDATE" else None
        self._full: PreparedDispatch | None = None
        self._blank: PreparedDispatch | None = None
        # Who sees content without MESSAGE_CONTENT; parsed the first time it matters.
        self._readers: frozenset[Snowflake] | None = None

    def admits(self, session: Session) -> bool:
        needed = self.needed
        if int(session.intents) & needed != needed or session.user.id == self.subject:
            return False
        if not self.scoped:
            return True
        view, channel_id = self.view, self.event.channel_id
        if view is None or channel_id is None:
            return False  # fail closed: no view, no way to tell who may read the channel
        if self.skip and session.user.id in self.skip:
            return False
        # bits_in has ADMINISTRATOR widened to every bit, so this is has_permission.
        required = self.required
        return view.bits_in(session.user.id, channel_id) & required == required

    def to(self, session: Session) -> None:
        """Send to `session` if it may have it."""
        if self.admits(session):
            session.dispatch(self._form_for(session))
            self.sent += 1

    def _form_for(self, session: Session) -> PreparedDispatch:
        if self.blankable and not int(session.intents) & _MESSAGE_CONTENT:
            readers = self._readers
            if readers is None:
                readers = self._readers = _content_readers(self.event.data)
            if session.user.id not in readers:
                if self._blank is None:
                    blanked = {**self.event.data, **_BLANKED}
                    self._blank = prepare_dispatch(self.event.type, blanked)
                return self._blank
        if self._full is None:
            self._full = prepare_dispatch(self.event.type, self.event.data)
        return self._full


class FanOut:
    def __init__(self, registry: SessionRegistry, storage: GuildViewStorage) -> None:
        self._registry = registry
        self._storage = storage
        # Held while one event is handled: adopting or handing off sessions
        # takes it, so that happens between two events, never inside one.
        self.lock = trio.Lock()
        # Through which event of the bus everything has been delivered (None
        # before subscribing, or for a bus that cannot replay).
        self.position: BusPosition | None = None
        self._handled = trio.lowlevel.ParkingLot()
        # Seconds between the last event's publication and its delivery.
        self.lag = 0.0
        # For the gateway to update presence outside event delivery (bounded,
        # see PRESENCE_QUEUE): sessions this fan-out had to end (too many held
        # events), and users who just joined a guild while connected.
        self._ended, self.ended = trio.open_memory_channel[tuple[Session, frozenset[Snowflake]]](
            PRESENCE_QUEUE
        )
        self._joined, self.joined = trio.open_memory_channel[tuple[Snowflake, Snowflake]](
            PRESENCE_QUEUE
        )

    async def run(self, bus: EventBus, *, task_status: Any = None) -> None:
        """Consume the bus until cancelled."""
        async with bus.subscribe() as events:
            self.position = events.position
            if task_status is not None:
                task_status.started()
            async for event in events:
                # With it, the events already waiting (and where each leaves the bus).
                burst = [(event, events.position)]
                while len(burst) < BURST:
                    try:
                        burst.append((events.receive_nowait(), events.position))
                    except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                        break  # none waiting, or the bus is gone: deliver what was taken
                try:
                    # Usually free: taken without a scheduler round trip per burst.
                    self.lock.acquire_nowait()
                except trio.WouldBlock:
                    await self.lock.acquire()
                try:
                    await self._handle_burst(burst)
                finally:
                    self.lock.release()
                self._handled.unpark_all()

    async def _handle_burst(self, burst: list[tuple[Event, BusPosition | None]]) -> None:
        """Deliver each event in order, writing each connection's frames together."""
        start = 0
        while start < len(burst):
            # A guild reload reads storage: done first, outside the write-holding region.
            # If it fails, its event is not delivered (stale views must not decide
            # who gets it); later events are.
            first, position = burst[start]
            end = start + 1
            reloaded = None
            if self._reloads(first):
                try:
                    reloaded = await self._reload(first)
                except Exception:
                    log.exception("could not deliver %s", first.type)
                    self.position = position
                    start = end
                    continue
            while end < len(burst) and not self._reloads(burst[end][0]):
                end += 1
            # A lone event is written as it is delivered: holding it would only add work.
            with coalesced_writes() if end - start > 1 else nullcontext():
                for index in range(start, end):
                    event, position = burst[index]
                    try:
                        self._deliver_counted(event, reloaded if index == start else None)
                    except Exception:
                        # One bad event must not stop delivery of every later one.
                        log.exception("could not deliver %s", event.type)
                    # Only for events delivered: a hand-over (which cancels this
                    # task at an await) must not skip the rest.
                    self.position = position
            start = end

    @staticmethod
    def _reloads(event: Event) -> bool:
        return event.guild_id is not None and (bool(event.affects) or event.type in _RELOADS)

    async def wait_handled(self) -> None:
        """Wait until the next event has been handled."""
        await self._handled.park()

    async def deliver_to(self, event: Event, session: Session) -> None:
        """Deliver one earlier event to one session (catching up an adopted session)."""
        reloaded = await self._reload(event) if self._reloads(event) else None
        if event.user_ids is not None:
            if session.user.id in event.user_ids:
                self._to(Delivery(event, None), session)
        elif event.guild_id is not None and event.guild_id in session.guild_ids:
            view = self._registry.view(event.guild_id)
            if reloaded is None:
                self._to(Delivery(event, view), session)
                return
            delivery = Delivery(event, reloaded.judged_by(event, view), reloaded.told_create(event))
            self._to(delivery, session)
            for sight in reloaded.sight:
                if sight.user_ids and session.user.id in sight.user_ids:
                    self._to(Delivery(sight, None), session)

    async def handle(self, event: Event) -> None:
        """One event, handled as `run` handles it (a burst of one)."""
        await self._handle_burst([(event, self.position)])

    async def _reload(self, event: Event) -> Reloaded:
        guild_id = event.guild_id
        if guild_id is None:
            return Reloaded(None)
        before = self._registry.view(guild_id)
        await self.refresh(guild_id, self._affected(event))
        after = self._registry.view(guild_id)
        if before is None or after is None or before is after:
            return Reloaded(before)
        users = {s.user.id for s in self._registry.subscribers(guild_id)}
        return Reloaded(before, sight_events(guild_id, sight_changes(before, after, users)))

    def _deliver_counted(self, event: Event, reloaded: Reloaded | None = None) -> None:
        sent = self.deliver(event, reloaded)
        self.lag = max(time.time() - event.at, 0.0)
        DISPATCHES.inc()
        DELIVERIES.inc(sent)
        DELIVERY_SECONDS.observe(self.lag)

    def deliver(self, event: Event, reloaded: Reloaded | None = None) -> int:
        """Hand `event` to every session that may have it; returns how many got it.

        `reloaded` is what reading the guild's view again for this event found.
        """
        sent = self._deliver_event(event, reloaded)
        if reloaded is not None and event.guild_id is not None:
            for sight in reloaded.sight:
                sent += self._tell_sight(event.guild_id, sight)
        return sent

    def _deliver_event(self, event: Event, reloaded: Reloaded | None) -> int:
        registry = self._registry
        if event.user_ids is not None:
            delivery = Delivery(event, None)
            for session in registry.sessions_of(event.user_ids):
                self._to(delivery, session)
            return delivery.sent
        if event.guild_id is None:
            return 0
        sessions = registry.subscribers(event.guild_id)
        if not sessions:
            return 0
        guild_id = event.guild_id
        view = registry.view(guild_id)
        if reloaded is None:
            delivery = Delivery(event, view)
        else:
            delivery = Delivery(event, reloaded.judged_by(event, view), reloaded.told_create(event))
        for session in sessions:
            if session.loading and self._hold(session, guild_id, event):
                continue
            self._to(delivery, session)
        return delivery.sent

    def _tell_sight(self, guild_id: Snowflake, event: Event) -> int:
        """A CHANNEL_CREATE/DELETE for some members, held like the guild's events while loading."""
        delivery = Delivery(event, None)
        for session in self._registry.sessions_of(event.user_ids or frozenset()):
            if guild_id not in session.guild_ids:
                continue
            if session.loading and self._hold(session, guild_id, event):
                continue
            self._to(delivery, session)
        return delivery.sent

    def release(self, session: Session, guild_id: Snowflake) -> None:
        """Send what was held for `guild_id` while its GUILD_CREATE was prepared."""
        held = session.loaded(guild_id)
        view = self._registry.view(guild_id)
        for event in held:
            self._to(Delivery(event, view), session)

    async def refresh(self, guild_id: Snowflake, affected: Iterable[Snowflake] = ()) -> None:
        """Read the guild's view again and (un)subscribe sessions whose membership changed."""
        registry = self._registry
        subscribed = {s.user.id for s in registry.subscribers(guild_id)}
        users = subscribed | {u for u in affected if registry.has_sessions(u)}
        if not users:
            return
        view = await load_view(self._storage, guild_id, users)
        if view is not None:
            current = registry.view(guild_id)
            late = {s.user.id for s in registry.subscribers(guild_id)} - users
            if current is not None and late:
                # Subscribed while this read was in flight (their GUILD_CREATE
                # was sent meanwhile): keep the roles that was read with.
                view.keep_members(current, late)
            registry.set_view(guild_id, view)
        for user_id in users:
            member = view is not None and view.is_member(user_id)
            joined = False
            for session in registry.sessions_of_user(user_id):
                if member and guild_id not in session.guild_ids:
                    registry.subscribe(session, guild_id)
                    joined = True
                elif not member and guild_id in session.guild_ids:
                    registry.unsubscribe(session, guild_id)
            if joined:
                self._tell(self._joined, (user_id, guild_id), "join")
        # Read for users none of whom turned out to be members: not kept.
        registry.drop_view_if_unwatched(guild_id)

    def _to(self, delivery: Delivery, session: Session) -> None:
        try:
            delivery.to(session)
        except HeldOverflow as exc:
            self._overflowed(session, exc)

    def _hold(self, session: Session, guild_id: Snowflake, event: Event) -> bool:
        try:
            return session.hold(guild_id, event)
        except HeldOverflow as exc:
            self._overflowed(session, exc)
            return True

    def _overflowed(self, session: Session, exc: HeldOverflow) -> None:
        log.warning("session %s ended: %s", session.id, exc)
        guild_ids = frozenset(session.guild_ids)
        self._registry.end(session)
        # Its presence is updated by the gateway, outside this event's delivery.
        self._tell(self._ended, (session, guild_ids), "ending")

    @staticmethod
    def _tell(channel: trio.MemorySendChannel[Any], item: object, what: str) -> None:
        try:
            channel.send_nowait(item)
        except trio.WouldBlock:
            log.error("presence not updated for a %s: %d already queued", what, PRESENCE_QUEUE)

    @staticmethod
    def _affected(event: Event) -> set[Snowflake]:
        affected = set(event.affects)
        if event.type in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE"):
            joiner = _user_id(event.data, "user")
            if joiner is not None:
                affected.add(joiner)
        return affected
