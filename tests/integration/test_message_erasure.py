"""A deleted message is erased in PostgreSQL: read back from the raw rows after each kind of delete.

What stays of it is a tombstone of what paging and replies need: its id, channel,
guild, author and deletion time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
import trio

from accord.adapters.postgres.messages import _ERASED
from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import (
    Attachment,
    Channel,
    ChannelType,
    Emoji,
    MessageReference,
    MessageType,
    NewMessage,
)
from accord.core.snowflake import Snowflake
from tests.integration import seed
from tests.integration.seed import new_id
from tests.integration.test_messages_repo import Room, draft, room

SECRET = "launch codes zebra"


async def rich_message(storage: PostgresStorage, place: Room, author=None) -> NewMessage:
    """A message carrying everything a user can put in one: text, mentions, a reply, a nonce,
    a file, a pin and reactions (one by someone else)."""
    reactor = await seed.user(storage)
    await seed.member(storage, place.guild_id, reactor)
    parent = await storage.messages.create_message(draft(place, "parent"))
    message = draft(
        place,
        f"{SECRET} <@{reactor.id}> @everyone",
        author=author,
        type=MessageType.REPLY,
        tts=True,
        mention_everyone=True,
        mention_ids=(reactor.id,),
        mention_role_ids=(place.guild_id,),
        reference=MessageReference(parent.id, place.channel.id, place.guild_id),
        nonce="n-secret",
        attachments=(
            Attachment(id=new_id(), filename="plans.png", size=10, url="https://x/plans.png"),
        ),
    )
    await storage.messages.create_message(message)
    assert await storage.messages.set_pinned(place.channel.id, message.id, True) is True
    for who in (place.owner, reactor):
        await storage.reactions.add_reaction(place.channel.id, message.id, who.id, Emoji("🔥"))
    return message


async def assert_erased(storage: PostgresStorage, place: Room, message: NewMessage) -> None:
    [row] = await seed.fetch(storage, "SELECT * FROM messages WHERE id = $1", message.id)
    # What paging, last_message_id and replies to it rely on stays.
    assert row["id"] == message.id
    assert row["channel_id"] == message.channel_id
    assert row["guild_id"] == place.guild_id
    assert row["author_id"] == message.author_id
    assert row["deleted_at"] is not None
    # Everything the author wrote or attached is gone.
    assert row["content"] == ""
    assert row["search_vector"] == ""
    assert row["mention_ids"] == [] and row["mention_role_ids"] == []
    assert row["mention_everyone"] is False and row["tts"] is False
    assert row["reference_message_id"] is None
    assert row["reference_channel_id"] is None and row["reference_guild_id"] is None
    assert row["type"] == MessageType.DEFAULT
    assert row["nonce"] is None and row["pinned_at"] is None and row["edited_at"] is None
    for table in ("attachments", "reactions"):
        left = await seed.fetch(storage, f"SELECT 1 FROM {table} WHERE message_id = $1", message.id)
        assert left == [], table


async def _single(storage: PostgresStorage, place: Room, message: NewMessage) -> None:
    assert await storage.messages.delete_message(place.channel.id, message.id) is True


async def _bulk(storage: PostgresStorage, place: Room, message: NewMessage) -> None:
    deleted = await storage.messages.bulk_delete_messages(place.channel.id, [message.id])
    assert deleted == [message.id]


async def _purge(storage: PostgresStorage, place: Room, message: NewMessage) -> None:
    deleted = await storage.messages.delete_author_messages(
        place.guild_id, message.author_id, Snowflake(message.id - 1)
    )
    assert deleted == {place.channel.id: [message.id]}


@pytest.mark.parametrize("delete", [_single, _bulk, _purge], ids=["single", "bulk", "purge"])
async def test_every_delete_erases_what_the_author_wrote_and_keeps_the_tombstone(
    storage: PostgresStorage,
    delete: Callable[[PostgresStorage, Room, NewMessage], Awaitable[None]],
):
    place = await room(storage)
    author = await seed.user(storage)
    await seed.member(storage, place.guild_id, author)
    message = await rich_message(storage, place, author)
    kept = await storage.messages.create_message(draft(place, f"{SECRET} kept"))

    await delete(storage, place, message)

    await assert_erased(storage, place, message)
    # Nothing else was touched: the later message is whole and still found.
    viewer = place.owner.id
    still = await storage.messages.get_message(place.channel.id, kept.id, viewer)
    assert still is not None and still.content == f"{SECRET} kept"
    hits, total = await storage.messages.search_messages(
        place.guild_id, [place.channel.id], "zebra", viewer
    )
    assert total == 1 and [m.id for m in hits] == [kept.id]
    [channel] = await seed.fetch(
        storage, "SELECT last_message_id FROM channels WHERE id = $1", place.channel.id
    )
    assert channel["last_message_id"] == kept.id


async def test_paging_around_and_past_an_erased_message_still_works(storage: PostgresStorage):
    place = await room(storage)
    ids = [(await storage.messages.create_message(draft(place, f"m{i}"))).id for i in range(5)]
    await storage.messages.delete_message(place.channel.id, ids[2])
    viewer = place.owner.id

    around = await storage.messages.list_messages(place.channel.id, viewer, around=ids[2], limit=4)
    before = await storage.messages.list_messages(place.channel.id, viewer, before=ids[2])
    after = await storage.messages.list_messages(place.channel.id, viewer, after=ids[2])
    assert [m.id for m in around] == [ids[4], ids[3], ids[1], ids[0]]
    assert [m.id for m in before] == [ids[1], ids[0]]
    assert [m.id for m in after] == [ids[4], ids[3]]


async def test_a_reply_to_an_erased_message_keeps_its_reference_and_reads_it_as_deleted(
    storage: PostgresStorage,
):
    place = await room(storage)
    parent = await storage.messages.create_message(draft(place, "parent"))
    reply = await storage.messages.create_message(
        draft(
            place,
            "the reply",
            type=MessageType.REPLY,
            reference=MessageReference(parent.id, place.channel.id, place.guild_id),
        )
    )
    viewer = place.owner.id
    before = await storage.messages.get_message(place.channel.id, reply.id, viewer)
    assert before is not None and before.reference_deleted is False

    await storage.messages.delete_message(place.channel.id, parent.id)

    after = await storage.messages.get_message(place.channel.id, reply.id, viewer)
    assert after is not None and after.content == "the reply"
    assert after.reference == MessageReference(parent.id, place.channel.id, place.guild_id)
    assert after.reference_deleted is True
    [listed] = [
        m
        for m in await storage.messages.list_messages(place.channel.id, viewer)
        if m.id == reply.id
    ]
    assert listed.reference_deleted is True


async def test_deleting_a_channel_takes_its_messages_with_it(storage: PostgresStorage):
    place = await room(storage)
    second = await storage.channels.create_channel(
        Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=place.guild_id, name="two")
    )
    doomed = await rich_message(storage, replace(place, channel=second))

    assert await storage.channels.delete_channel(second.id) is True

    for table, key in (
        ("messages", "id"),
        ("attachments", "message_id"),
        ("reactions", "message_id"),
    ):
        left = await seed.fetch(storage, f"SELECT 1 FROM {table} WHERE {key} = $1", doomed.id)
        assert left == [], table


async def test_a_reaction_racing_a_delete_does_not_outlive_it(storage: PostgresStorage):
    """The reaction arrives after the delete's statements ran but before it committed."""
    place = await room(storage)
    message = await storage.messages.create_message(draft(place))
    gate, erased = asyncio.Event(), asyncio.Event()
    added: list[bool | None] = []

    async def delete_held_open() -> None:
        # The statements of PgMessageRepository._erase, its commit held back.
        async with storage.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                f"UPDATE messages SET {_ERASED} WHERE id = $1 AND deleted_at IS NULL", message.id
            )
            await connection.execute("DELETE FROM reactions WHERE message_id = $1", message.id)
            erased.set()
            await gate.wait()

    async def react() -> None:
        added.append(
            await storage.reactions.add_reaction(
                place.channel.id, message.id, place.owner.id, Emoji("🔥")
            )
        )

    async def blocked_on_a_lock() -> bool:
        rows = await seed.fetch(
            storage,
            "SELECT 1 FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        return bool(rows)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(storage._bridge.run, delete_held_open)
        # Polled: both conditions change on the asyncio side, which sets no Trio event.
        with trio.fail_after(10):
            while not erased.is_set():  # noqa: ASYNC110
                await trio.sleep(0.002)
            nursery.start_soon(react)
            while not added and not await blocked_on_a_lock():  # noqa: ASYNC110
                await trio.sleep(0.002)

        async def open_gate() -> None:
            gate.set()

        await storage._bridge.run(open_gate)

    assert added == [None]
    assert await seed.fetch(storage, "SELECT 1 FROM reactions") == []
