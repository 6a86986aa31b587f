"""Fan-out: each event reaches exactly the sessions that may see it, in the form their intents ask.

The guild (see `gateway_fakes`) has a public channel and a secret one whose
@everyone overwrite denies VIEW_CHANNEL and whose moderator-role overwrite
allows it; the owner sees everything.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import trio
import trio.testing

from accord.adapters.memory.bus import InProcessEventBus
from accord.core.entities import Channel, User
from accord.core.events import Event
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.snowflake import Snowflake
from accord.gateway.fanout import FanOut
from accord.gateway.frames import prepare_dispatch
from accord.gateway.guild_view import GuildView
from accord.gateway.protocol import ALL_INTENTS, Intents
from accord.gateway.registry import SessionRegistry
from accord.gateway.session import MAX_HELD_EVENTS, Session
from tests.unit.gateway_fakes import (
    BOT,
    CHANNELS,
    DM_CHANNEL,
    GENERAL,
    GUILD,
    MEMBER,
    MEMBERS,
    MOD_ROLE,
    MODERATOR,
    OUTSIDER,
    OWNER,
    SECRET,
    FakeStorage,
    member,
    message,
    snapshot,
    started_session,
    transport_of,
)

BOT_INTENTS = Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.DIRECT_MESSAGES


class World:
    """A registry with the guild's view loaded, a fan-out over it, and storage behind it."""

    def __init__(self, *, view: bool = True) -> None:
        self.storage = FakeStorage(MEMBERS)
        self.storage.guilds.snapshots[GUILD] = snapshot()
        self.registry = SessionRegistry(300.0, lambda: 0.0)
        if view:
            self.registry.set_view(GUILD, GuildView.from_snapshot(snapshot(), MEMBERS))
        self.fanout = FanOut(self.registry, self.storage)  # type: ignore[arg-type]
        self._count = 0

    def connect(
        self,
        user: User,
        intents: Intents = ALL_INTENTS,
        *,
        subscribed: bool = True,
        loading: bool = False,
        ready: bool = True,
    ) -> Session:
        self._count += 1
        session_id = f"{user.username}-{self._count}"
        if ready:
            session = started_session(session_id, user, intents)
        else:
            session = Session(id=session_id, user=user, intents=intents)
        self.registry.add(session)
        if subscribed:
            self.registry.subscribe(session, GUILD, loading=loading)
        return session


def received(session: Session) -> list[str]:
    """`event:id` of each dispatch after READY."""
    return [f"{p['t']}:{p['d'].get('id', '')}" for p in transport_of(session).dispatches]


def contents(session: Session) -> list[str]:
    return [p["d"]["content"] for p in transport_of(session).dispatches]


@pytest.fixture
def world() -> World:
    return World()


def test_a_channel_hidden_from_everyone_reaches_only_those_allowed(world: World) -> None:
    owner, plain, moderator = (world.connect(u) for u in (OWNER, MEMBER, MODERATOR))
    world.fanout.deliver(message(1, channel_id=SECRET, author=OWNER))
    world.fanout.deliver(message(2, channel_id=GENERAL))
    assert received(owner) == ["MESSAGE_CREATE:1001", "MESSAGE_CREATE:1002"]
    assert received(moderator) == ["MESSAGE_CREATE:1001", "MESSAGE_CREATE:1002"]
    assert received(plain) == ["MESSAGE_CREATE:1002"]


def test_without_a_guild_view_channel_events_reach_nobody() -> None:
    world = World(view=False)
    owner = world.connect(OWNER)
    world.fanout.deliver(message(1, channel_id=GENERAL))
    assert received(owner) == []


def test_the_required_permission_is_checked_not_only_view(world: World) -> None:
    plain, moderator = world.connect(MEMBER), world.connect(MODERATOR)
    event = Event(
        "MESSAGE_DELETE",
        {"id": "7"},
        guild_id=GUILD,
        channel_id=GENERAL,
        required=Permission.VIEW_CHANNEL | Permission.MANAGE_MESSAGES,
    )
    world.fanout.deliver(event)
    assert received(moderator) == ["MESSAGE_DELETE:7"]
    assert received(plain) == []


def test_guild_events_reach_only_sessions_subscribed_to_the_guild(world: World) -> None:
    inside = world.connect(MEMBER)
    outside = world.connect(OUTSIDER, subscribed=False)
    world.fanout.deliver(Event("GUILD_UPDATE", {"id": str(GUILD)}, guild_id=GUILD))
    assert received(inside) == [f"GUILD_UPDATE:{GUILD}"]
    assert received(outside) == []


def test_intents_gate_guild_events(world: World) -> None:
    guilds_only = world.connect(MEMBER, Intents.GUILDS)
    messages = world.connect(MEMBER, Intents.GUILDS | Intents.GUILD_MESSAGES)
    world.fanout.deliver(message(1))
    world.fanout.deliver(Event("CHANNEL_UPDATE", {"id": str(GENERAL)}, guild_id=GUILD))
    world.fanout.deliver(Event("TYPING_START", {"id": "t"}, guild_id=GUILD, channel_id=GENERAL))
    assert received(guilds_only) == [f"CHANNEL_UPDATE:{GENERAL}"]
    assert received(messages) == ["MESSAGE_CREATE:1001", f"CHANNEL_UPDATE:{GENERAL}"]


def test_dm_events_are_gated_by_the_direct_message_intents(world: World) -> None:
    guild_messages = world.connect(MEMBER, Intents.GUILD_MESSAGES, subscribed=False)
    direct = world.connect(MEMBER, Intents.DIRECT_MESSAGES, subscribed=False)
    dm = message(
        1, channel_id=DM_CHANNEL, guild_id=None, user_ids=frozenset({MEMBER.id, OUTSIDER.id})
    )
    world.fanout.deliver(dm)
    world.fanout.deliver(replace(dm, type="TYPING_START"))
    assert received(guild_messages) == []
    assert received(direct) == ["MESSAGE_CREATE:1001"]


def test_bots_without_message_content_get_guild_messages_blanked(world: World) -> None:
    bot = world.connect(BOT, BOT_INTENTS)
    human = world.connect(MEMBER)
    world.fanout.deliver(message(1, author=MEMBER))
    world.fanout.deliver(message(2, author=MEMBER, event="MESSAGE_UPDATE"))
    [created, updated] = transport_of(bot).dispatches
    for blanked in (created["d"], updated["d"]):
        assert blanked["content"] == ""
        assert blanked["embeds"] == blanked["attachments"] == blanked["components"] == []
        assert blanked["author"]["id"] == str(MEMBER.id)  # the rest is intact
        assert blanked["channel_id"] == str(GENERAL)
    assert contents(human) == ["message 1", "message 2"]
    assert transport_of(human).dispatches[0]["d"]["embeds"] == [{"title": "an embed"}]


def test_blanking_spares_own_messages_mentions_and_dms(world: World) -> None:
    bot = world.connect(BOT, BOT_INTENTS)
    world.fanout.deliver(message(1, author=BOT))
    world.fanout.deliver(message(2, author=MEMBER, mentions=[MODERATOR, BOT]))
    world.fanout.deliver(message(3, author=MEMBER, mentions=[MODERATOR]))
    world.fanout.deliver(
        message(4, channel_id=DM_CHANNEL, guild_id=None, user_ids=frozenset({BOT.id}))
    )
    assert contents(bot) == ["message 1", "message 2", "", "message 4"]


def test_a_bot_with_message_content_gets_everything(world: World) -> None:
    bot = world.connect(BOT, BOT_INTENTS | Intents.MESSAGE_CONTENT)
    world.fanout.deliver(message(1, author=MEMBER))
    assert contents(bot) == ["message 1"]


def test_each_form_is_serialized_once_and_shared(world: World) -> None:
    # Before READY a session keeps the prepared dispatches themselves, which
    # shows what each recipient was handed.
    humans = [world.connect(MEMBER, ready=False) for _ in range(3)]
    bots = [world.connect(BOT, BOT_INTENTS, ready=False) for _ in range(3)]
    author = world.connect(MODERATOR, BOT_INTENTS, ready=False)  # no MESSAGE_CONTENT, but its own
    world.fanout.deliver(message(1, author=MODERATOR))
    full = humans[0].early[0]  # type: ignore[index]
    blank = bots[0].early[0]  # type: ignore[index]
    assert full is not blank
    assert all(s.early == [full] and s.early[0] is full for s in [*humans, author])  # type: ignore[index]
    assert all(s.early == [blank] and s.early[0] is blank for s in bots)  # type: ignore[index]
    assert b'"content":"message 1"' in full.tail
    assert b'"content":""' in blank.tail


def test_held_events_follow_guild_create_in_order(world: World) -> None:
    live = world.connect(MEMBER)
    loading = world.connect(MEMBER, loading=True)
    for n in (1, 2):
        world.fanout.deliver(message(n))
    world.fanout.deliver(message(3, channel_id=SECRET))  # held, then filtered like any other
    world.fanout.deliver(message(4))
    assert received(live) == ["MESSAGE_CREATE:1001", "MESSAGE_CREATE:1002", "MESSAGE_CREATE:1004"]
    assert received(loading) == []
    loading.dispatch(prepare_dispatch("GUILD_CREATE", {"id": str(GUILD)}))
    world.fanout.release(loading, GUILD)
    assert received(loading) == [
        f"GUILD_CREATE:{GUILD}",
        "MESSAGE_CREATE:1001",
        "MESSAGE_CREATE:1002",
        "MESSAGE_CREATE:1004",
    ]
    assert [p["s"] for p in transport_of(loading).payloads] == [1, 2, 3, 4, 5]
    assert GUILD not in loading.loading
    world.fanout.deliver(message(5))
    assert received(loading)[-1] == "MESSAGE_CREATE:1005"


def test_user_events_are_not_held_by_a_loading_guild(world: World) -> None:
    loading = world.connect(MEMBER, loading=True)
    world.fanout.deliver(
        Event("USER_UPDATE", {"id": str(MEMBER.id)}, user_ids=frozenset({MEMBER.id}))
    )
    assert received(loading) == [f"USER_UPDATE:{MEMBER.id}"]


def test_too_many_held_events_end_the_session_and_spare_the_others(world: World) -> None:
    live = world.connect(MEMBER)
    loading = world.connect(MEMBER, loading=True)
    for n in range(MAX_HELD_EVENTS + 1):
        world.fanout.deliver(message(n))
    assert loading.ended
    assert world.registry.get(loading.id) is None
    assert loading not in world.registry.subscribers(GUILD)
    assert len(received(live)) == MAX_HELD_EVENTS + 1
    # Handed on so the gateway clears its presence, with the guilds it was in.
    assert world.fanout.ended.receive_nowait() == (loading, frozenset({GUILD}))


def test_user_targeted_events_reach_every_session_of_those_users(world: World) -> None:
    first, second = world.connect(MEMBER), world.connect(MEMBER, subscribed=False)
    moderator, owner = world.connect(MODERATOR), world.connect(OWNER)
    early = world.connect(MEMBER, ready=False)
    event = Event(
        "USER_UPDATE", {"id": "u"}, user_ids=frozenset({MEMBER.id, MODERATOR.id, OUTSIDER.id})
    )
    world.fanout.deliver(event)
    for session in (first, second, moderator):
        assert received(session) == ["USER_UPDATE:u"]
    assert received(owner) == []
    assert [p.event for p in early.early or ()] == ["USER_UPDATE"]  # sent after its READY


def test_targeted_events_skip_channel_permissions_and_membership(world: World) -> None:
    kicked = world.connect(OUTSIDER, Intents.GUILDS, subscribed=False)
    plain = world.connect(MEMBER)
    world.fanout.deliver(
        Event("GUILD_DELETE", {"id": str(GUILD)}, guild_id=GUILD, user_ids=frozenset({OUTSIDER.id}))
    )
    world.fanout.deliver(
        Event(
            "CHANNEL_UPDATE",
            {"id": str(SECRET)},
            guild_id=GUILD,
            channel_id=SECRET,
            user_ids=frozenset({MEMBER.id}),
        )
    )
    assert received(kicked) == [f"GUILD_DELETE:{GUILD}"]
    assert received(plain) == [f"CHANNEL_UPDATE:{SECRET}"]


def test_a_users_own_presence_is_not_sent_to_them(world: World) -> None:
    own = world.connect(MEMBER)
    owner = world.connect(OWNER)
    no_presences = world.connect(MODERATOR, ALL_INTENTS & ~Intents.GUILD_PRESENCES)
    presence = {"user": {"id": str(MEMBER.id)}, "status": "idle", "guild_id": str(GUILD)}
    world.fanout.deliver(Event("PRESENCE_UPDATE", presence, guild_id=GUILD))
    assert transport_of(owner).events == ["PRESENCE_UPDATE"]
    assert transport_of(own).events == []
    assert transport_of(no_presences).events == []


def test_a_slow_session_is_detached_and_the_rest_still_receive(world: World) -> None:
    slow = world.connect(MEMBER)
    transport_of(slow).capacity = 2  # READY and one dispatch
    fast = world.connect(OWNER)
    slow_transport = transport_of(slow)
    for n in range(3):
        world.fanout.deliver(message(n))
    assert slow.transport is None and slow_transport.aborted
    assert slow.buffer.last_seq == 4  # every dispatch kept for a resume
    assert len(received(fast)) == 3


async def test_a_channel_overwrite_change_applies_before_later_messages(world: World) -> None:
    plain = world.connect(MEMBER)
    hidden = replace(
        CHANNELS[0],
        overwrites=(Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL),),
    )
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=(hidden, CHANNELS[1]))
    await world.fanout.handle(
        Event("CHANNEL_UPDATE", {"id": str(GENERAL)}, guild_id=GUILD, channel_id=GENERAL)
    )
    await world.fanout.handle(message(1))
    # The update itself is for those who still see the channel; the member lost it.
    assert received(plain) == [f"CHANNEL_DELETE:{GENERAL}"]


async def test_a_role_grant_opens_the_secret_channel(world: World) -> None:
    plain = world.connect(MEMBER)
    world.fanout.deliver(message(1, channel_id=SECRET))
    world.storage.members.put(member(MEMBER, MOD_ROLE))
    await world.fanout.handle(
        Event(
            "GUILD_MEMBER_UPDATE",
            {"user": {"id": str(MEMBER.id)}, "roles": [str(MOD_ROLE)]},
            guild_id=GUILD,
            affects=frozenset({MEMBER.id}),
        )
    )
    await world.fanout.handle(message(2, channel_id=SECRET))
    assert received(plain) == [
        "GUILD_MEMBER_UPDATE:",
        f"CHANNEL_CREATE:{SECRET}",
        "MESSAGE_CREATE:1002",
    ]


async def test_a_joining_user_is_subscribed_and_a_removed_one_unsubscribed(world: World) -> None:
    joiner = world.connect(OUTSIDER, subscribed=False)
    leaver = world.connect(MEMBER)
    world.storage.members.put(member(OUTSIDER))
    await world.fanout.handle(
        Event("GUILD_MEMBER_ADD", {"user": {"id": str(OUTSIDER.id)}}, guild_id=GUILD)
    )
    assert GUILD in joiner.guild_ids and joiner in world.registry.subscribers(GUILD)
    world.storage.members.remove(GUILD, MEMBER.id)
    await world.fanout.handle(
        Event("GUILD_MEMBER_REMOVE", {"user": {"id": str(MEMBER.id)}}, guild_id=GUILD)
    )
    assert GUILD not in leaver.guild_ids and leaver not in world.registry.subscribers(GUILD)
    await world.fanout.handle(message(1))
    assert received(joiner)[-1] == "MESSAGE_CREATE:1001"
    assert "MESSAGE_CREATE:1001" not in received(leaver)


async def test_a_vanished_guild_unsubscribes_everyone(world: World) -> None:
    session = world.connect(MEMBER)
    del world.storage.guilds.snapshots[GUILD]
    await world.fanout.refresh(GUILD)
    assert GUILD not in session.guild_ids
    assert world.registry.subscribers(GUILD) == []
    assert world.registry.view(GUILD) is None


async def test_one_bad_event_does_not_stop_delivery(world: World) -> None:
    session = world.connect(MEMBER)
    bus = InProcessEventBus()
    # orjson cannot serialize a set: preparing this dispatch raises.
    bad = replace(message(1), data={**message(1).data, "oops": {1, 2}})
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(world.fanout.run, bus)
            await bus.publish(bad)
            await bus.publish(message(2))
            await trio.testing.wait_all_tasks_blocked()  # both consumed
            nursery.cancel_scope.cancel()
    assert received(session) == ["MESSAGE_CREATE:1002"]


class GatedGuilds:
    """Snapshot reads that wait until `opened` is set, so something can happen meanwhile."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.reading = trio.Event()
        self.opened = trio.Event()

    async def get_guild_snapshot(self, guild_id: Snowflake, member_limit: int) -> object:
        self.reading.set()
        await self.opened.wait()
        return await self._inner.get_guild_snapshot(guild_id, member_limit)  # type: ignore[attr-defined]


async def test_a_member_whose_guild_create_lands_during_a_refresh_keeps_receiving(
    world: World,
) -> None:
    world.registry.set_view(GUILD, GuildView.from_snapshot(snapshot(), [member(MEMBER)]))
    world.connect(MEMBER)
    gated = GatedGuilds(world.storage.guilds)
    world.storage.guilds = gated  # type: ignore[assignment]
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                world.fanout.handle, Event("CHANNEL_UPDATE", {"id": str(GENERAL)}, guild_id=GUILD)
            )
            await gated.reading.wait()
            # Meanwhile a new session's GUILD_CREATE is sent (what the hub does).
            late = world.connect(MODERATOR, loading=True)
            view = world.registry.view(GUILD)
            assert view is not None
            view.add_members([member(MODERATOR, MOD_ROLE)])
            late.dispatch(prepare_dispatch("GUILD_CREATE", {"id": str(GUILD)}))
            world.fanout.release(late, GUILD)
            gated.opened.set()
    world.fanout.deliver(message(1, channel_id=SECRET, author=OWNER))
    assert received(late)[-1] == "MESSAGE_CREATE:1001"


async def test_events_already_waiting_are_delivered_in_order_with_reloads_between(
    world: World,
) -> None:
    plain = world.connect(MEMBER)
    bus = InProcessEventBus()
    bad = replace(message(9), data={**message(9).data, "oops": {1, 2}})
    grant = Event(
        "GUILD_MEMBER_UPDATE",
        {"user": {"id": str(MEMBER.id)}, "roles": [str(MOD_ROLE)]},
        guild_id=GUILD,
        affects=frozenset({MEMBER.id}),
    )
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(world.fanout.run, bus)
            world.storage.members.put(member(MEMBER, MOD_ROLE))
            # Published without the fan-out running in between: one burst, whose
            # reload (the role grant) must still come before the messages after it.
            for event in (message(1, channel_id=SECRET), grant, bad, message(2, channel_id=SECRET)):
                await bus.publish(event)
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()
    assert received(plain) == [
        "GUILD_MEMBER_UPDATE:",
        f"CHANNEL_CREATE:{SECRET}",
        "MESSAGE_CREATE:1002",
    ]


def _hidden_from_everyone(channel_id: Snowflake) -> tuple[Channel, ...]:
    hide = Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL)
    return tuple(replace(c, overwrites=(hide,)) if c.id == channel_id else c for c in CHANNELS)


async def test_an_overwrite_that_hides_a_channel_tells_only_who_lost_it(world: World) -> None:
    plain, moderator, owner = (world.connect(u) for u in (MEMBER, MODERATOR, OWNER))
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=_hidden_from_everyone(GENERAL))
    update = {"id": str(GENERAL), "name": "general", "topic": "now private"}
    await world.fanout.handle(Event("CHANNEL_UPDATE", update, guild_id=GUILD, channel_id=GENERAL))
    assert received(plain) == [f"CHANNEL_DELETE:{GENERAL}"]
    assert "now private" not in str(transport_of(plain).dispatches)
    assert received(moderator) == [f"CHANNEL_DELETE:{GENERAL}"]
    assert received(owner) == [f"CHANNEL_UPDATE:{GENERAL}"]


async def test_an_overwrite_that_shows_a_channel_sends_it_as_created(world: World) -> None:
    plain, moderator = world.connect(MEMBER), world.connect(MODERATOR)
    opened = tuple(replace(c, overwrites=()) if c.id == SECRET else c for c in CHANNELS)
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=opened)
    await world.fanout.handle(
        Event("CHANNEL_UPDATE", {"id": str(SECRET)}, guild_id=GUILD, channel_id=SECRET)
    )
    assert received(plain) == [f"CHANNEL_CREATE:{SECRET}"]
    assert received(moderator) == [f"CHANNEL_UPDATE:{SECRET}"]


async def test_a_deleted_channel_is_announced_to_those_who_could_see_it(world: World) -> None:
    plain, moderator = world.connect(MEMBER), world.connect(MODERATOR)
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=(CHANNELS[0],))
    gone = {"id": str(SECRET), "name": "secret"}
    await world.fanout.handle(Event("CHANNEL_DELETE", gone, guild_id=GUILD, channel_id=SECRET))
    assert received(plain) == []
    assert received(moderator) == [f"CHANNEL_DELETE:{SECRET}"]


async def test_a_role_losing_view_hides_channels_from_its_holders(world: World) -> None:
    plain, moderator = world.connect(MEMBER), world.connect(MODERATOR)
    world.storage.guilds.snapshots[GUILD] = replace(
        snapshot(),
        roles=tuple(
            replace(r, permissions=r.permissions & ~Permission.VIEW_CHANNEL) if r.id == GUILD else r
            for r in snapshot().roles
        ),
    )
    role = {"guild_id": str(GUILD), "role": {"id": str(GUILD)}}
    await world.fanout.handle(Event("GUILD_ROLE_UPDATE", role, guild_id=GUILD))
    assert sorted(received(plain)) == [
        f"CHANNEL_DELETE:{GENERAL}",
        "GUILD_ROLE_UPDATE:",
    ]
    # The moderator role's overwrite still shows the secret channel.
    assert sorted(received(moderator)) == [f"CHANNEL_DELETE:{GENERAL}", "GUILD_ROLE_UPDATE:"]


async def test_a_sight_change_waits_for_a_loading_guild_create(world: World) -> None:
    loading = world.connect(MEMBER, loading=True)
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=_hidden_from_everyone(GENERAL))
    await world.fanout.handle(
        Event("CHANNEL_UPDATE", {"id": str(GENERAL)}, guild_id=GUILD, channel_id=GENERAL)
    )
    assert received(loading) == []
    loading.dispatch(prepare_dispatch("GUILD_CREATE", {"id": str(GUILD)}))
    world.fanout.release(loading, GUILD)
    assert received(loading) == [f"GUILD_CREATE:{GUILD}", f"CHANNEL_DELETE:{GENERAL}"]


async def test_a_view_read_for_no_member_is_not_kept_to_judge_later_joiners(world: World) -> None:
    world.connect(OUTSIDER, subscribed=False)
    # An event naming a connected non-member reads the view, and nobody subscribes.
    await world.fanout.handle(
        Event(
            "GUILD_MEMBER_REMOVE",
            {"user": {"id": str(OUTSIDER.id)}},
            guild_id=GUILD,
            affects=frozenset({OUTSIDER.id}),
        )
    )
    assert world.registry.view(GUILD) is None


async def test_a_member_losing_sight_is_not_shown_what_hid_it(world: World) -> None:
    plain = world.connect(MEMBER)
    hide = Overwrite(GUILD, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL)
    renamed = replace(CHANNELS[0], name="layoffs", topic="who goes", overwrites=(hide,))
    world.storage.guilds.snapshots[GUILD] = snapshot(channels=(renamed, CHANNELS[1]))
    update = {"id": str(GENERAL), "name": "layoffs", "topic": "who goes"}
    await world.fanout.handle(Event("CHANNEL_UPDATE", update, guild_id=GUILD, channel_id=GENERAL))
    [gone] = transport_of(plain).dispatches
    assert gone["t"] == "CHANNEL_DELETE" and gone["d"]["name"] == "general"
    assert "layoffs" not in str(gone) and "who goes" not in str(gone)


async def test_members_with_the_same_roles_are_judged_apart_when_an_overwrite_names_one(
    world: World,
) -> None:
    plain, bot = world.connect(MEMBER), world.connect(BOT, BOT_INTENTS)
    named = Overwrite(MEMBER.id, OverwriteType.MEMBER, allow=Permission.VIEW_CHANNEL)
    kept = (replace(CHANNELS[0], overwrites=(named,)), CHANNELS[1])
    world.registry.set_view(GUILD, GuildView.from_snapshot(snapshot(channels=kept), MEMBERS))
    blind = tuple(
        replace(r, permissions=r.permissions & ~Permission.VIEW_CHANNEL) if r.id == GUILD else r
        for r in snapshot().roles
    )
    world.storage.guilds.snapshots[GUILD] = replace(snapshot(channels=kept), roles=blind)
    role = {"guild_id": str(GUILD), "role": {"id": str(GUILD)}}
    await world.fanout.handle(Event("GUILD_ROLE_UPDATE", role, guild_id=GUILD))
    assert received(plain) == ["GUILD_ROLE_UPDATE:"]
    assert received(bot) == ["GUILD_ROLE_UPDATE:", f"CHANNEL_DELETE:{GENERAL}"]
