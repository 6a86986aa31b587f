"""send_batches: concurrent PgMessageRepository.send_message calls stored together.

The first batch is held in flight (``Held``) while later sends queue behind
it, so which sends share a batch is deterministic, not a matter of timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import outcome
import pytest
import trio

from accord.adapters.postgres import send_batches
from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import Channel, ChannelType, MessageReference, NewMessage
from accord.core.errors import CannotMessageUser, NotFound, PermissionDenied
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.ports.storage import ChannelContext
from accord.core.services.message_compose import Draft, compose_message
from accord.core.snowflake import Snowflake
from tests.integration import seed
from tests.integration.seed import new_id
from tests.integration.test_message_send_repo import composer, live_contents
from tests.integration.test_messages_repo import draft, room


async def until(condition: Callable[[], object]) -> None:
    # Polled: the state changes on the asyncio loop, which sets no Trio event.
    with trio.fail_after(10):
        while not condition():  # noqa: ASYNC110
            await trio.sleep(0.002)


@dataclass
class Held:
    """send_batches with its first batch held until ``release``; every batch's size."""

    storage: PostgresStorage
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    sizes: list[int] = field(default_factory=list)
    results: dict[str, outcome.Outcome[Any]] = field(default_factory=dict)

    def waiting(self) -> int:
        return len(self.storage.messages._sends._waiting)

    async def send(self, key: str, channel_id: Snowflake, author_id: Snowflake, compose, **kw):
        self.results[key] = await outcome.acapture(
            self.storage.messages.send_message, channel_id, author_id, compose, **kw
        )

    async def hold(self, nursery: trio.Nursery, channel_id: Snowflake, author_id: Snowflake):
        """Start a send whose batch (the first) stays in flight until ``release``."""
        compose = composer(Draft("holder"), author_id)
        nursery.start_soon(self.send, "holder", channel_id, author_id, compose)
        await until(lambda: self.sizes)

    async def queue(self, nursery: trio.Nursery, key: str, *args, **kw) -> None:
        """Start a send and wait until it waits for a batch: sends queue in call order."""
        queued = self.waiting() + 1
        nursery.start_soon(lambda: self.send(key, *args, **kw))
        await until(lambda: self.waiting() >= queued)

    async def release(self) -> None:
        async def open_gate() -> None:
            self.gate.set()  # on the asyncio loop, where the held batch waits for it

        await self.storage._bridge.run(open_gate)


@pytest.fixture
async def held(storage: PostgresStorage, monkeypatch: pytest.MonkeyPatch) -> Held:
    state = Held(storage)
    store_batch = send_batches._store_batch

    async def held_store_batch(pool, batch) -> None:
        state.sizes.append(len(batch))
        if len(state.sizes) == 1:
            await state.gate.wait()
        await store_batch(pool, batch)

    monkeypatch.setattr(send_batches, "_store_batch", held_store_batch)
    # One batch at a time, so what waits behind the held one is known exactly.
    monkeypatch.setattr(storage.messages._sends, "_max_in_flight", 1)
    return state


async def test_concurrent_sends_share_batches_and_each_gets_its_own_message(
    storage: PostgresStorage, held: Held
):
    place = await room(storage)
    users = [place.owner] + [await seed.user(storage) for _ in range(3)]
    for user in users[1:]:
        await seed.member(storage, place.guild_id, user)
    channels = [place.channel] + [
        await storage.channels.create_channel(
            Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=place.guild_id, name=n)
        )
        for n in ("two", "three")
    ]
    sends = [(f"m{i}", channels[i % 3], users[i % 4]) for i in range(40)]

    async with trio.open_nursery() as nursery:
        for content, channel, user in sends:
            compose = composer(Draft(content), user.id)
            nursery.start_soon(held.send, content, channel.id, user.id, compose)
        # All 40 started at once: the first batch is held, every other send waits behind it.
        await until(lambda: held.sizes and held.sizes[0] + held.waiting() == 40)
        await held.release()

    assert sum(held.sizes) == 40 and max(held.sizes) > 1
    ids: dict[Snowflake, list[Snowflake]] = {channel.id: [] for channel in channels}
    for content, channel, user in sends:
        sent = held.results[content].unwrap()
        assert sent.message.content == content and sent.message.author == user
        assert sent.message.channel_id == channel.id and sent.channel.id == channel.id
        ids[channel.id].append(sent.message.id)
    assert len({i for channel_ids in ids.values() for i in channel_ids}) == 40
    for channel in channels:
        listed = await storage.messages.list_messages(channel.id, 0)
        assert sorted(m.id for m in listed) == sorted(ids[channel.id])
        stored = await storage.channels.get_channel(channel.id)
        assert stored.last_message_id == max(ids[channel.id])


async def test_each_send_of_a_mixed_batch_gets_its_own_outcome(
    storage: PostgresStorage, held: Held
):
    place = await room(storage)
    owner = place.owner.id
    muted = await seed.user(storage)
    await seed.member(storage, place.guild_id, muted)
    await storage.channels.put_overwrite(
        place.channel.id, Overwrite(muted.id, OverwriteType.MEMBER, deny=Permission.SEND_MESSAGES)
    )
    parent = await storage.messages.create_message(draft(place, "parent"))
    gone = await storage.messages.create_message(draft(place, "gone"))
    await storage.messages.delete_message(place.channel.id, gone.id)
    channel = place.channel.id
    nonced = [Draft(text, nonce="n-1", enforce_nonce=True) for text in ("first", "second")]

    async with trio.open_nursery() as nursery:
        await held.hold(nursery, channel, owner)
        for key, channel_id, author, draft_ in [
            ("muted", channel, muted.id, Draft("refused")),
            ("unknown", new_id(), owner, Draft("nowhere")),
            ("reply", channel, owner, Draft("reply", reply_to=str(parent.id))),
            ("orphan", channel, owner, Draft("orphan", reply_to=str(gone.id))),
            ("first", channel, owner, nonced[0]),
            ("second", channel, owner, nonced[1]),
            ("plain", channel, owner, Draft("plain")),
            ("mention", channel, owner, Draft(f"hi <@{muted.id}>")),
        ]:
            compose = composer(draft_, author)
            await held.queue(
                nursery, key, channel_id, author, compose, enforce_nonce=draft_.enforce_nonce
            )
        await held.release()

    assert held.sizes == [1, 8]
    results = {key: result.unwrap for key, result in held.results.items()}
    with pytest.raises(PermissionDenied):
        results["muted"]()
    with pytest.raises(NotFound):
        results["unknown"]()
    reply = results["reply"]().message
    assert reply.reference == MessageReference(parent.id, channel, place.guild_id)
    assert results["orphan"]() is None
    first, second = results["first"]().message, results["second"]().message
    assert first.content == "first" and second == first
    assert results["plain"]().message.content == "plain"
    mention = results["mention"]().message
    assert mention.mention_ids == (muted.id,)
    expected = ["holder", "parent", "reply", "first", "plain", f"hi <@{muted.id}>"]
    assert sorted(await live_contents(storage, channel)) == sorted(expected)
    stored = await storage.channels.get_channel(channel)
    assert stored.last_message_id == mention.id
    assert await storage.messages.get_message(channel, mention.id, 0) == mention


async def test_a_refused_dm_send_fails_alone_in_its_batch(storage: PostgresStorage, held: Held):
    place = await room(storage)
    owner = place.owner
    stranger, friend = await seed.user(storage), await seed.user(storage)
    await seed.member(storage, place.guild_id, friend)
    closed, open_ = [
        await storage.channels.open_dm(
            Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(owner.id, other.id))
        )
        for other in (stranger, friend)
    ]
    parent = await storage.messages.create_message(
        NewMessage(id=new_id(), channel_id=open_.id, author_id=owner.id, content="parent")
    )

    async with trio.open_nursery() as nursery:
        await held.hold(nursery, place.channel.id, owner.id)
        for key, channel_id, draft_ in [
            ("guild", place.channel.id, Draft("guild")),
            ("closed", closed.id, Draft("closed")),
            ("open", open_.id, Draft("open")),
            ("closed reply", closed.id, Draft("closed reply", reply_to=str(parent.id))),
            ("open reply", open_.id, Draft("open reply", reply_to=str(parent.id))),
        ]:
            await held.queue(nursery, key, channel_id, owner.id, composer(draft_, owner.id))
        await held.release()

    assert held.sizes == [1, 5]
    results = {key: result.unwrap for key, result in held.results.items()}
    assert results["guild"]().message.content == "guild"
    assert results["open"]().message.content == "open"
    assert results["open reply"]().message.reference.message_id == parent.id
    # The recipient is checked before the reply's target (which is in another channel).
    for refused in ("closed", "closed reply"):
        with pytest.raises(CannotMessageUser):
            results[refused]()
    assert await live_contents(storage, closed.id) == []
    assert sorted(await live_contents(storage, open_.id)) == ["open", "open reply", "parent"]


def refused_by_the_database(sender: Snowflake, **fields) -> Callable[..., NewMessage]:
    """A compose that succeeds with a message whose insert violates a constraint."""
    message_id = new_id()

    def compose(found: ChannelContext | None) -> NewMessage:
        return replace(compose_message(found, Draft("ok"), message_id, sender), **fields)

    return compose


async def test_a_row_that_fails_its_insert_fails_only_its_own_send(
    storage: PostgresStorage, held: Held
):
    place = await room(storage)
    owner, channel = place.owner.id, place.channel.id

    async with trio.open_nursery() as nursery:
        await held.hold(nursery, channel, owner)
        for key, compose in [
            ("good 1", composer(Draft("good 1"), owner)),
            ("too long", refused_by_the_database(owner, content="x" * 2001)),
            ("good 2", composer(Draft("good 2"), owner)),
            ("no author", refused_by_the_database(owner, author_id=new_id())),
        ]:
            await held.queue(nursery, key, channel, owner, compose)
        await held.release()

    assert held.sizes == [1, 4]
    with pytest.raises(asyncpg.CheckViolationError):
        held.results["too long"].unwrap()
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        held.results["no author"].unwrap()
    good = [held.results[key].unwrap().message for key in ("good 1", "good 2")]
    assert [m.content for m in good] == ["good 1", "good 2"]
    assert sorted(await live_contents(storage, channel)) == ["good 1", "good 2", "holder"]
    stored = await storage.channels.get_channel(channel)
    assert stored.last_message_id == good[1].id  # not the later id of "no author"


async def test_a_caller_cancelled_before_its_batch_starts_stores_nothing(
    storage: PostgresStorage, held: Held
):
    place = await room(storage)
    owner, channel = place.owner.id, place.channel.id
    composed: list[ChannelContext | None] = []
    scope = trio.CancelScope()
    cancelled = trio.Event()

    async def doomed() -> None:
        with scope:
            await storage.messages.send_message(
                channel, owner, composer(Draft("cancelled"), owner, composed)
            )
        cancelled.set()

    async with trio.open_nursery() as nursery:
        await held.hold(nursery, channel, owner)
        await held.queue(nursery, "kept 1", channel, owner, composer(Draft("kept 1"), owner))
        queued = held.waiting() + 1
        nursery.start_soon(doomed)
        await until(lambda: held.waiting() >= queued)
        await held.queue(nursery, "kept 2", channel, owner, composer(Draft("kept 2"), owner))
        scope.cancel()
        await cancelled.wait()  # the caller is gone before the held batch is released
        await held.release()

    assert scope.cancelled_caught
    assert held.sizes == [1, 2]
    assert composed == []
    kept = held.results["kept 2"].unwrap().message
    assert sorted(await live_contents(storage, channel)) == ["holder", "kept 1", "kept 2"]
    stored = await storage.channels.get_channel(channel)
    assert stored.last_message_id == kept.id


async def test_a_batch_held_up_does_not_hold_up_the_next(
    storage: PostgresStorage, held: Held, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(storage.messages._sends, "_max_in_flight", 2)
    place, elsewhere = await room(storage), await room(storage)

    async with trio.open_nursery() as nursery:
        await held.hold(nursery, place.channel.id, place.owner.id)
        # With the first batch still held, a send elsewhere is stored by a second batch.
        await held.send(
            "other",
            elsewhere.channel.id,
            elsewhere.owner.id,
            composer(Draft("other"), elsewhere.owner.id),
        )
        assert "holder" not in held.results
        await held.release()

    assert held.sizes == [1, 1]
    assert held.results["other"].unwrap().message.content == "other"
    assert held.results["holder"].unwrap().message.content == "holder"
