"""PgMessageRepository.send_message (read, compose, reply check, store) against real PostgreSQL."""

from __future__ import annotations

import pytest

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import Channel, ChannelType, MessageReference, NewMessage
from accord.core.errors import Conflict, NotFound, PermissionDenied
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.ports.storage import ChannelContext
from accord.core.services.message_compose import Draft, compose_message
from accord.core.snowflake import Snowflake
from tests.integration import seed
from tests.integration.seed import new_id
from tests.integration.test_messages_repo import draft, room


def composer(draft_: Draft, author_id: Snowflake, seen: list[ChannelContext | None] | None = None):
    message_id = new_id()

    def compose(found: ChannelContext | None) -> NewMessage:
        if seen is not None:
            seen.append(found)
        return compose_message(found, draft_, message_id, author_id)

    return compose


async def live_contents(storage: PostgresStorage, channel_id: Snowflake) -> list[str]:
    return [m.content for m in await storage.messages.list_messages(channel_id, 0)]


async def test_send_composes_from_the_channel_context_and_stores_the_message(
    storage: PostgresStorage,
):
    place = await room(storage)
    before = await storage.access.channel_context(place.channel.id, place.owner.id)
    seen: list[ChannelContext | None] = []

    sent = await storage.messages.send_message(
        place.channel.id, place.owner.id, composer(Draft("hello"), place.owner.id, seen)
    )

    assert seen == [before]
    assert sent is not None
    assert sent.channel == place.channel
    assert sent.message.author == place.owner
    assert sent.message.content == "hello" and sent.message.guild_id == place.guild_id
    fetched = await storage.messages.get_message(place.channel.id, sent.message.id, 0)
    assert fetched == sent.message
    channel = await storage.channels.get_channel(place.channel.id)
    assert channel.last_message_id == sent.message.id


async def test_send_to_an_unknown_channel_composes_from_none(storage: PostgresStorage):
    author = await seed.user(storage)
    seen: list[ChannelContext | None] = []

    with pytest.raises(NotFound):
        await storage.messages.send_message(
            new_id(), author.id, composer(Draft("x"), author.id, seen)
        )

    assert seen == [None]


async def test_a_refused_send_stores_nothing_and_raises_as_compose_did(storage: PostgresStorage):
    place = await room(storage)
    muted = await seed.user(storage)
    await seed.member(storage, place.guild_id, muted)
    await storage.channels.put_overwrite(
        place.channel.id, Overwrite(muted.id, OverwriteType.MEMBER, deny=Permission.SEND_MESSAGES)
    )
    category = await storage.channels.create_channel(
        Channel(id=new_id(), type=ChannelType.GUILD_CATEGORY, guild_id=place.guild_id, name="c")
    )

    with pytest.raises(PermissionDenied):
        await storage.messages.send_message(
            place.channel.id, muted.id, composer(Draft("no"), muted.id)
        )
    with pytest.raises(Conflict):
        await storage.messages.send_message(
            category.id, place.owner.id, composer(Draft("no"), place.owner.id)
        )

    assert await live_contents(storage, place.channel.id) == []
    channel = await storage.channels.get_channel(place.channel.id)
    assert channel.last_message_id is None


async def test_a_dm_is_composed_from_its_recipients(storage: PostgresStorage):
    alice, bob, eve = [await seed.user(storage) for _ in range(3)]
    await seed.member(storage, await seed.guild(storage, alice), bob)  # so they may DM
    dm = await storage.channels.open_dm(
        Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(alice.id, bob.id))
    )

    sent = await storage.messages.send_message(dm.id, bob.id, composer(Draft("hi"), bob.id))
    with pytest.raises(NotFound):
        await storage.messages.send_message(dm.id, eve.id, composer(Draft("hi"), eve.id))

    assert sent is not None and sent.channel == dm and sent.message.guild_id is None
    assert await live_contents(storage, dm.id) == ["hi"]


async def test_a_reply_needs_a_live_message_of_the_same_channel(storage: PostgresStorage):
    place, elsewhere = await room(storage), await room(storage)
    parent = await storage.messages.create_message(draft(place, "parent"))
    gone = await storage.messages.create_message(draft(place, "gone"))
    await storage.messages.delete_message(place.channel.id, gone.id)
    foreign = await storage.messages.create_message(draft(elsewhere, "foreign"))
    owner = place.owner.id

    reply = await storage.messages.send_message(
        place.channel.id, owner, composer(Draft("reply", reply_to=str(parent.id)), owner)
    )
    refused = [
        await storage.messages.send_message(
            place.channel.id, owner, composer(Draft("orphan", reply_to=target), owner)
        )
        for target in (new_id(), gone.id, foreign.id)
    ]

    assert reply is not None
    assert reply.message.reference == MessageReference(parent.id, place.channel.id, place.guild_id)
    assert refused == [None, None, None]
    assert await live_contents(storage, place.channel.id) == ["reply", "parent"]


async def test_send_with_an_enforced_nonce_returns_the_earlier_message(storage: PostgresStorage):
    place = await room(storage)
    owner = place.owner.id
    sends = [Draft(text, nonce="n-9", enforce_nonce=True) for text in ("one", "two")]

    first, second = [
        await storage.messages.send_message(
            place.channel.id, owner, composer(d, owner), enforce_nonce=d.enforce_nonce
        )
        for d in sends
    ]
    unenforced = await storage.messages.send_message(
        place.channel.id, owner, composer(Draft("three", nonce="n-9"), owner)
    )

    assert first is not None and second is not None and unenforced is not None
    assert second.message == first.message
    assert unenforced.message.id != first.message.id
    assert await live_contents(storage, place.channel.id) == ["three", "one"]
