"""PgChannelRepository against a real PostgreSQL."""

from __future__ import annotations

import pytest
import trio

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import Channel, ChannelType
from accord.core.errors import NotFound, Resource
from accord.core.permissions import Overwrite, OverwriteType, Permission
from accord.core.ports.storage import ChannelPosition
from tests.integration import seed
from tests.integration.seed import new_id


def text(guild_id, name="general", **fields) -> Channel:
    return Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=guild_id, name=name, **fields)


def category(guild_id, name="cat", **fields) -> Channel:
    return Channel(
        id=new_id(), type=ChannelType.GUILD_CATEGORY, guild_id=guild_id, name=name, **fields
    )


def dm_between(a, b) -> Channel:
    return Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(a.id, b.id))


async def new_guild(storage):
    owner = await seed.user(storage)
    return owner, await seed.guild(storage, owner)


async def test_create_then_get_round_trips_every_field(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    parent = await storage.channels.create_channel(category(guild_id, position=0))
    overwrite = Overwrite(guild_id, OverwriteType.ROLE, deny=Permission.SEND_MESSAGES)
    channel = text(
        guild_id, topic="about", position=3, parent_id=parent.id, overwrites=(overwrite,)
    )

    created = await storage.channels.create_channel(channel)

    assert created == channel
    fetched = await storage.channels.get_channel(channel.id)
    assert fetched == channel
    assert isinstance(fetched.overwrites[0].deny, Permission)
    assert fetched.type is ChannelType.GUILD_TEXT


async def test_get_unknown_channel_is_none(storage: PostgresStorage):
    assert await storage.channels.get_channel(new_id()) is None


async def test_list_guild_channels_in_position_order_with_overwrites(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    _, other_guild = await new_guild(storage)
    second = await storage.channels.create_channel(text(guild_id, "b", position=2))
    first = await storage.channels.create_channel(text(guild_id, "a", position=1))
    await storage.channels.create_channel(text(other_guild, "elsewhere"))
    overwrite = Overwrite(new_id(), OverwriteType.MEMBER, allow=Permission.VIEW_CHANNEL)
    await storage.channels.put_overwrite(second.id, overwrite)

    listed = await storage.channels.list_guild_channels(guild_id)

    assert [c.id for c in listed] == [first.id, second.id]
    assert listed[1].overwrites == (overwrite,)
    assert await storage.channels.list_guild_channels(new_id()) == []


async def test_update_channel_writes_name_topic_position_parent(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    parent = await storage.channels.create_channel(category(guild_id))
    channel = await storage.channels.create_channel(text(guild_id, topic="old"))

    moved = Channel(
        id=channel.id,
        type=channel.type,
        guild_id=guild_id,
        name="renamed",
        topic="new",
        position=7,
        parent_id=parent.id,
    )
    updated = await storage.channels.update_channel(moved)

    assert updated == moved
    assert await storage.channels.get_channel(channel.id) == moved
    top_level = Channel(id=channel.id, type=channel.type, guild_id=guild_id, name="renamed")
    assert (await storage.channels.update_channel(top_level)).parent_id is None


async def test_update_unknown_channel_is_none(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    assert await storage.channels.update_channel(text(guild_id)) is None


async def test_delete_channel_once(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    parent = await storage.channels.create_channel(category(guild_id))
    child = await storage.channels.create_channel(text(guild_id, parent_id=parent.id))

    assert await storage.channels.delete_channel(parent.id) is True
    assert await storage.channels.delete_channel(parent.id) is False
    assert await storage.channels.get_channel(parent.id) is None
    # Deleting a category leaves its channels at the top level.
    assert (await storage.channels.get_channel(child.id)).parent_id is None


async def test_set_channel_positions_moves_all_and_parents_when_asked(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    cat = await storage.channels.create_channel(category(guild_id, position=0))
    a = await storage.channels.create_channel(text(guild_id, "a", position=1, parent_id=cat.id))
    b = await storage.channels.create_channel(text(guild_id, "b", position=2))

    moved = await storage.channels.set_channel_positions(
        guild_id,
        [
            ChannelPosition(a.id, 5),  # parent left alone
            ChannelPosition(b.id, 4, parent_id=cat.id, move_parent=True),
        ],
    )

    assert [(c.id, c.position, c.parent_id) for c in moved] == [
        (b.id, 4, cat.id),
        (a.id, 5, cat.id),
    ]
    await storage.channels.set_channel_positions(
        guild_id, [ChannelPosition(a.id, 5, parent_id=None, move_parent=True)]
    )
    assert (await storage.channels.get_channel(a.id)).parent_id is None


async def test_set_channel_positions_is_atomic_on_a_foreign_id(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    _, other_guild = await new_guild(storage)
    a = await storage.channels.create_channel(text(guild_id, "a", position=1))
    foreign = await storage.channels.create_channel(text(other_guild, "x", position=1))

    for stranger in (new_id(), foreign.id):
        with pytest.raises(NotFound) as caught:
            await storage.channels.set_channel_positions(
                guild_id, [ChannelPosition(a.id, 9), ChannelPosition(stranger, 3)]
            )
        assert caught.value.resource is Resource.CHANNEL

    assert (await storage.channels.get_channel(a.id)).position == 1
    assert (await storage.channels.get_channel(foreign.id)).position == 1


async def test_set_channel_positions_refuses_a_parent_that_is_not_a_category_of_the_guild(
    storage: PostgresStorage,
):
    _, guild_id = await new_guild(storage)
    a = await storage.channels.create_channel(text(guild_id, "a", position=1))
    b = await storage.channels.create_channel(text(guild_id, "b", position=2))

    with pytest.raises(NotFound):
        await storage.channels.set_channel_positions(
            guild_id, [ChannelPosition(a.id, 3, parent_id=b.id, move_parent=True)]
        )
    assert await storage.channels.get_channel(a.id) == a


async def test_put_overwrite_replaces_the_targets_overwrite(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    channel = await storage.channels.create_channel(text(guild_id))
    target = new_id()

    await storage.channels.put_overwrite(
        channel.id, Overwrite(target, OverwriteType.ROLE, allow=Permission.VIEW_CHANNEL)
    )
    replacement = Overwrite(target, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL)
    await storage.channels.put_overwrite(channel.id, replacement)

    assert (await storage.channels.get_channel(channel.id)).overwrites == (replacement,)


async def test_put_overwrite_on_unknown_channel_is_not_found(storage: PostgresStorage):
    with pytest.raises(NotFound) as caught:
        await storage.channels.put_overwrite(new_id(), Overwrite(new_id(), OverwriteType.MEMBER))
    assert caught.value.resource is Resource.CHANNEL


async def test_delete_overwrite_once(storage: PostgresStorage):
    _, guild_id = await new_guild(storage)
    channel = await storage.channels.create_channel(text(guild_id))
    kept = Overwrite(new_id(), OverwriteType.MEMBER, allow=Permission.SEND_MESSAGES)
    gone = Overwrite(new_id(), OverwriteType.ROLE, deny=Permission.SEND_MESSAGES)
    await storage.channels.put_overwrite(channel.id, kept)
    await storage.channels.put_overwrite(channel.id, gone)

    assert await storage.channels.delete_overwrite(channel.id, gone.id) is True
    assert await storage.channels.delete_overwrite(channel.id, gone.id) is False
    assert (await storage.channels.get_channel(channel.id)).overwrites == (kept,)


async def test_open_dm_creates_then_reuses_the_pair(storage: PostgresStorage):
    alice, bob = await seed.user(storage), await seed.user(storage)
    candidate = dm_between(alice, bob)

    opened = await storage.channels.open_dm(candidate)
    again = await storage.channels.open_dm(dm_between(bob, alice))

    assert opened.id == candidate.id
    assert opened.type is ChannelType.DM
    assert opened.guild_id is None
    assert set(opened.recipient_ids) == {alice.id, bob.id}
    assert again == opened
    assert await storage.channels.get_channel(candidate.id) == opened


async def test_open_dm_racing_opens_agree_on_one_channel(storage: PostgresStorage):
    alice, bob = await seed.user(storage), await seed.user(storage)
    await seed.warm_pool(storage, 4)
    opened: list[Channel] = []

    async def open_one(first, second):
        opened.append(await storage.channels.open_dm(dm_between(first, second)))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(open_one, alice, bob)
            nursery.start_soon(open_one, bob, alice)

    assert len({c.id for c in opened}) == 1
    rows = await seed.fetch(storage, "SELECT id FROM channels WHERE type = 1")
    assert len(rows) == 1


async def test_open_dm_refuses_a_candidate_that_is_not_a_pair(storage: PostgresStorage):
    alice = await seed.user(storage)
    with pytest.raises(ValueError):
        await storage.channels.open_dm(
            Channel(id=new_id(), type=ChannelType.DM, recipient_ids=(alice.id,))
        )


async def test_list_private_channels_holds_the_users_dms_and_group_dms(storage: PostgresStorage):
    alice, bob, carol = [await seed.user(storage) for _ in range(3)]
    owner, guild_id = await new_guild(storage)
    await storage.channels.create_channel(text(guild_id))
    with_bob = await storage.channels.open_dm(dm_between(alice, bob))
    group = await storage.channels.create_channel(
        Channel(
            id=new_id(),
            type=ChannelType.GROUP_DM,
            name="trio",
            owner_id=alice.id,
            recipient_ids=(alice.id, bob.id, carol.id),
        )
    )
    await storage.channels.open_dm(dm_between(bob, carol))

    assert group.recipient_ids == tuple(sorted((alice.id, bob.id, carol.id)))
    assert group.owner_id == alice.id
    assert [c.id for c in await storage.channels.list_private_channels(alice.id)] == [
        with_bob.id,
        group.id,
    ]
    assert await storage.channels.list_private_channels(owner.id) == []
