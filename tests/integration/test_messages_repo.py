"""PgMessageRepository against a real PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import trio

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.entities import (
    Attachment,
    Channel,
    ChannelType,
    Emoji,
    MessageReference,
    MessageType,
    NewMessage,
    ReactionCount,
    User,
)
from accord.core.snowflake import Snowflake
from tests.integration import seed
from tests.integration.seed import new_id


@dataclass
class Room:
    """A guild text channel and its owner, ready for messages."""

    guild_id: Snowflake
    channel: Channel
    owner: User


async def room(storage: PostgresStorage, owner: User | None = None) -> Room:
    owner = owner or await seed.user(storage)
    guild_id = await seed.guild(storage, owner)
    channel = await storage.channels.create_channel(
        Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=guild_id, name="general")
    )
    return Room(guild_id, channel, owner)


def draft(place: Room, content: str = "hello", author: User | None = None, **fields) -> NewMessage:
    return NewMessage(
        id=new_id(),
        channel_id=place.channel.id,
        author_id=(author or place.owner).id,
        content=content,
        guild_id=place.guild_id,
        **fields,
    )


async def post(storage, place: Room, count: int) -> list[Snowflake]:
    return [
        (await storage.messages.create_message(draft(place, f"message {i}"))).id
        for i in range(count)
    ]


async def test_create_then_get_round_trips_and_advances_the_channel(storage: PostgresStorage):
    place = await room(storage)
    mentioned = await seed.user(storage)
    parent = await storage.messages.create_message(draft(place, "parent"))
    attachment = Attachment(
        id=new_id(), filename="a.png", size=10, url="https://x/a.png", content_type="image/png"
    )
    reply = draft(
        place,
        f"hi <@{mentioned.id}>",
        type=MessageType.REPLY,
        tts=True,
        mention_ids=(mentioned.id,),
        mention_role_ids=(place.guild_id,),
        reference=MessageReference(parent.id, place.channel.id, place.guild_id),
        nonce="n-1",
        attachments=(attachment,),
    )

    created = await storage.messages.create_message(reply)
    fetched = await storage.messages.get_message(place.channel.id, reply.id, place.owner.id)

    assert fetched == created
    assert created.author == place.owner
    assert created.reference == MessageReference(parent.id, place.channel.id, place.guild_id)
    assert created.attachments == (attachment,)
    assert created.mention_ids == (mentioned.id,)
    assert (created.type, created.tts, created.nonce) == (MessageType.REPLY, True, "n-1")
    assert not created.pinned and created.edited_at is None and created.reactions == ()
    channel = await storage.channels.get_channel(place.channel.id)
    assert channel.last_message_id == reply.id


async def test_get_unknown_or_other_channels_message_is_none(storage: PostgresStorage):
    place, elsewhere = await room(storage), await room(storage)
    message = await storage.messages.create_message(draft(place))

    assert await storage.messages.get_message(place.channel.id, new_id(), place.owner.id) is None
    assert (
        await storage.messages.get_message(elsewhere.channel.id, message.id, place.owner.id) is None
    )


async def test_enforce_nonce_returns_the_earlier_message(storage: PostgresStorage):
    place = await room(storage)
    first = await storage.messages.create_message(
        draft(place, "one", nonce="42"), enforce_nonce=True
    )

    again = await storage.messages.create_message(
        draft(place, "two", nonce="42"), enforce_nonce=True
    )

    assert again == first
    assert [m.content for m in await storage.messages.list_messages(place.channel.id, 0)] == ["one"]


async def test_nonce_is_only_a_key_when_enforced_and_live(storage: PostgresStorage):
    place = await room(storage)
    other = await seed.user(storage)
    await seed.member(storage, place.guild_id, other)
    first = await storage.messages.create_message(draft(place, "a", nonce="7"))

    unenforced = await storage.messages.create_message(draft(place, "b", nonce="7"))
    by_other = await storage.messages.create_message(
        draft(place, "c", author=other, nonce="7"), enforce_nonce=True
    )
    await storage.messages.delete_message(place.channel.id, first.id)
    await storage.messages.delete_message(place.channel.id, unenforced.id)
    after_delete = await storage.messages.create_message(
        draft(place, "d", nonce="7"), enforce_nonce=True
    )

    assert len({first.id, unenforced.id, by_other.id, after_delete.id}) == 4
    assert after_delete.content == "d"


async def test_enforce_nonce_racing_sends_store_one_message(storage: PostgresStorage):
    place = await room(storage)
    await seed.warm_pool(storage, 4)
    rounds, contenders = 5, 4
    results: dict[str, set[Snowflake]] = {f"race-{r}": set() for r in range(rounds)}

    async def send(nonce):
        message = await storage.messages.create_message(
            draft(place, nonce, nonce=nonce), enforce_nonce=True
        )
        results[nonce].add(message.id)

    # Several rounds: the first one also prepares each connection's statements,
    # after which the contenders run in step and would really collide.
    for nonce in results:
        async with trio.open_nursery() as nursery:
            for _ in range(contenders):
                nursery.start_soon(send, nonce)

    assert all(len(ids) == 1 for ids in results.values())
    stored = await storage.messages.list_messages(place.channel.id, 0)
    assert sorted(m.content for m in stored) == sorted(results)


async def test_history_pages_before_and_after_cover_everything_once(storage: PostgresStorage):
    place = await room(storage)
    ids = await post(storage, place, 23)
    newest_first = ids[::-1]

    seen, before = [], None
    while True:
        page = await storage.messages.list_messages(place.channel.id, 0, before=before, limit=5)
        if not page:
            break
        assert len(page) <= 5
        seen += [m.id for m in page]
        before = page[-1].id
    assert seen == newest_first

    seen, after = [], Snowflake(0)
    while True:
        page = await storage.messages.list_messages(place.channel.id, 0, after=after, limit=5)
        if not page:
            break
        assert [m.id for m in page] == sorted((m.id for m in page), reverse=True)
        seen = [m.id for m in page] + seen
        after = page[0].id
    assert seen == newest_first


async def test_history_default_is_the_newest_page(storage: PostgresStorage):
    place = await room(storage)
    ids = await post(storage, place, 6)
    page = await storage.messages.list_messages(place.channel.id, 0, limit=4)
    assert [m.id for m in page] == ids[:1:-1]


async def test_history_around_centres_on_the_id(storage: PostgresStorage):
    place = await room(storage)
    ids = await post(storage, place, 11)

    middle = await storage.messages.list_messages(place.channel.id, 0, around=ids[5], limit=4)
    near_start = await storage.messages.list_messages(place.channel.id, 0, around=ids[0], limit=5)
    one = await storage.messages.list_messages(place.channel.id, 0, around=ids[3], limit=1)

    assert [m.id for m in middle] == [ids[7], ids[6], ids[5], ids[4]]
    assert [m.id for m in near_start] == [ids[2], ids[1], ids[0]]
    assert [m.id for m in one] == [ids[3]]


async def test_deleted_messages_are_invisible_everywhere(storage: PostgresStorage):
    place = await room(storage)
    ids = await post(storage, place, 5)
    await storage.messages.set_pinned(place.channel.id, ids[2], True)

    assert await storage.messages.delete_message(place.channel.id, ids[2]) is True
    assert await storage.messages.delete_message(place.channel.id, ids[2]) is False

    channel_id, viewer = place.channel.id, place.owner.id
    assert await storage.messages.get_message(channel_id, ids[2], viewer) is None
    assert ids[2] not in [m.id for m in await storage.messages.list_messages(channel_id, viewer)]
    around = await storage.messages.list_messages(channel_id, viewer, around=ids[2], limit=4)
    assert [m.id for m in around] == [ids[4], ids[3], ids[1], ids[0]]
    assert await storage.messages.list_pins(channel_id, viewer) == []
    assert await storage.messages.set_pinned(channel_id, ids[2], False) is None
    hits, total = await storage.messages.search_messages(
        place.guild_id, [channel_id], "message", viewer
    )
    assert total == 4 and ids[2] not in [m.id for m in hits]
    edited = await storage.messages.update_message(
        channel_id,
        ids[2],
        content="x",
        mention_ids=(),
        edited_at=datetime.now(UTC),
        viewer_id=viewer,
    )
    assert edited is None


async def test_update_message_writes_content_mentions_and_edit_time(storage: PostgresStorage):
    place = await room(storage)
    mentioned = await seed.user(storage)
    message = await storage.messages.create_message(draft(place, "before"))
    await storage.reactions.add_reaction(place.channel.id, message.id, place.owner.id, Emoji("👍"))
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    updated = await storage.messages.update_message(
        place.channel.id,
        message.id,
        content="after",
        mention_ids=[mentioned.id],
        edited_at=when,
        viewer_id=place.owner.id,
    )

    assert updated.content == "after"
    assert updated.mention_ids == (mentioned.id,)
    assert updated.edited_at == when
    assert updated.author == place.owner
    assert updated.reactions[0].me is True
    # Another viewer sees the same message, with the reaction not theirs.
    seen_by_other = await storage.messages.get_message(place.channel.id, message.id, new_id())
    assert seen_by_other == replace(updated, reactions=(ReactionCount(Emoji("👍"), 1, False),))


async def test_update_unknown_message_is_none(storage: PostgresStorage):
    place = await room(storage)
    assert (
        await storage.messages.update_message(
            place.channel.id,
            new_id(),
            content="x",
            mention_ids=(),
            edited_at=datetime.now(UTC),
            viewer_id=place.owner.id,
        )
        is None
    )


async def test_bulk_delete_returns_the_live_messages_of_the_channel(storage: PostgresStorage):
    place, elsewhere = await room(storage), await room(storage)
    ids = await post(storage, place, 4)
    foreign = (await post(storage, elsewhere, 1))[0]
    await storage.messages.delete_message(place.channel.id, ids[0])

    deleted = await storage.messages.bulk_delete_messages(
        place.channel.id, [ids[2], ids[0], foreign, new_id(), ids[1]]
    )

    assert deleted == [ids[2], ids[1]]
    remaining = await storage.messages.list_messages(place.channel.id, 0)
    assert [m.id for m in remaining] == [ids[3]]
    assert await storage.messages.get_message(elsewhere.channel.id, foreign, 0) is not None
    assert await storage.messages.bulk_delete_messages(place.channel.id, []) == []


async def test_pin_and_unpin_report_whether_they_changed_anything(storage: PostgresStorage):
    place = await room(storage)
    ids = await post(storage, place, 3)
    channel_id = place.channel.id

    assert await storage.messages.set_pinned(channel_id, new_id(), True) is None
    assert await storage.messages.set_pinned(channel_id, ids[0], True) is True
    assert await storage.messages.set_pinned(channel_id, ids[0], True) is False
    assert await storage.messages.set_pinned(channel_id, ids[2], True) is True
    assert await storage.messages.set_pinned(channel_id, ids[1], False) is False

    pins = await storage.messages.list_pins(channel_id, 0)
    assert [m.id for m in pins] == [ids[2], ids[0]]  # most recently pinned first
    assert all(m.pinned for m in pins)

    assert await storage.messages.set_pinned(channel_id, ids[2], False) is True
    assert [m.id for m in await storage.messages.list_pins(channel_id, 0)] == [ids[0]]
    assert (await storage.messages.get_message(channel_id, ids[2], 0)).pinned is False


async def test_search_matches_words_within_the_given_channels_only(storage: PostgresStorage):
    place = await room(storage)
    second = await storage.channels.create_channel(
        Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=place.guild_id, name="two")
    )
    other_room = Room(place.guild_id, second, place.owner)
    hidden = await storage.messages.create_message(draft(other_room, "the blue whale"))
    blue = [
        (await storage.messages.create_message(draft(place, f"blue whale number {i}"))).id
        for i in range(3)
    ]
    await storage.messages.create_message(draft(place, "a red herring"))
    await storage.messages.create_message(draft(place, "blue sky"))

    viewer = place.owner.id
    page, total = await storage.messages.search_messages(
        place.guild_id, [place.channel.id], '"blue whale"', viewer, limit=2
    )
    rest, same_total = await storage.messages.search_messages(
        place.guild_id, [place.channel.id], '"blue whale"', viewer, limit=2, offset=2
    )
    both, both_total = await storage.messages.search_messages(
        place.guild_id, [place.channel.id, second.id], "whale", viewer
    )
    _, excluded = await storage.messages.search_messages(
        place.guild_id, [place.channel.id], "blue -whale", viewer
    )

    assert (total, same_total) == (3, 3)
    assert [m.id for m in page + rest] == blue[::-1]
    assert both_total == 4 and hidden.id in [m.id for m in both]
    assert excluded == 1
    assert await storage.messages.search_messages(place.guild_id, [], "blue", viewer) == ([], 0)
    other_guild = await room(storage, place.owner)
    assert await storage.messages.search_messages(
        other_guild.guild_id, [place.channel.id], "blue", viewer
    ) == ([], 0)


# Reactions


async def test_add_reaction_is_new_once_per_user_and_emoji(storage: PostgresStorage):
    place = await room(storage)
    message = await storage.messages.create_message(draft(place))
    add = storage.reactions.add_reaction
    channel_id, user_id = place.channel.id, place.owner.id

    assert await add(channel_id, message.id, user_id, Emoji("🔥")) is True
    assert await add(channel_id, message.id, user_id, Emoji("🔥")) is False  # unicode: no id
    assert await add(channel_id, message.id, user_id, Emoji("🎉")) is True
    assert await add(channel_id, message.id, user_id, Emoji("party", Snowflake(5))) is True
    # A custom emoji is its id: a renamed one is the same reaction.
    assert await add(channel_id, message.id, user_id, Emoji("renamed", Snowflake(5))) is False
    assert await add(channel_id, message.id, user_id, Emoji("party", Snowflake(6))) is True
    rows = await seed.fetch(storage, "SELECT count(*) AS n FROM reactions")
    assert rows[0]["n"] == 4


async def test_add_reaction_to_a_missing_message_is_none(storage: PostgresStorage):
    place, elsewhere = await room(storage), await room(storage)
    message = await storage.messages.create_message(draft(place))
    gone = await storage.messages.create_message(draft(place))
    await storage.messages.delete_message(place.channel.id, gone.id)
    add, user_id = storage.reactions.add_reaction, place.owner.id

    assert await add(place.channel.id, new_id(), user_id, Emoji("🔥")) is None
    assert await add(place.channel.id, gone.id, user_id, Emoji("🔥")) is None
    assert await add(elsewhere.channel.id, message.id, user_id, Emoji("🔥")) is None


async def test_messages_carry_reactions_per_emoji_in_first_reacted_order(
    storage: PostgresStorage,
):
    place = await room(storage)
    other = await seed.user(storage)
    message = await storage.messages.create_message(draft(place))
    add, channel_id = storage.reactions.add_reaction, place.channel.id
    await add(channel_id, message.id, other.id, Emoji("🎉"))
    await add(channel_id, message.id, place.owner.id, Emoji("party", Snowflake(9)))
    await add(channel_id, message.id, place.owner.id, Emoji("🎉"))
    await add(channel_id, message.id, other.id, Emoji("👀"))

    expected = (
        ReactionCount(Emoji("🎉"), 2, True),
        ReactionCount(Emoji("party", Snowflake(9)), 1, True),
        ReactionCount(Emoji("👀"), 1, False),
    )
    got = await storage.messages.get_message(channel_id, message.id, place.owner.id)
    listed = await storage.messages.list_messages(channel_id, place.owner.id)
    assert got.reactions == expected
    assert listed[0].reactions == expected
    as_other = await storage.messages.get_message(channel_id, message.id, other.id)
    assert [r.me for r in as_other.reactions] == [True, False, True]


async def test_remove_reaction_once(storage: PostgresStorage):
    place = await room(storage)
    other = await seed.user(storage)
    message = await storage.messages.create_message(draft(place))
    channel_id = place.channel.id
    await storage.reactions.add_reaction(channel_id, message.id, place.owner.id, Emoji("🔥"))
    await storage.reactions.add_reaction(channel_id, message.id, other.id, Emoji("🔥"))

    remove = storage.reactions.remove_reaction
    assert await remove(channel_id, message.id, place.owner.id, Emoji("🔥")) is True
    assert await remove(channel_id, message.id, place.owner.id, Emoji("🔥")) is False
    assert await remove(channel_id, message.id, other.id, Emoji("🎉")) is False
    assert await remove(channel_id, new_id(), other.id, Emoji("🔥")) is False

    got = await storage.messages.get_message(channel_id, message.id, place.owner.id)
    assert got.reactions == (ReactionCount(Emoji("🔥"), 1, False),)


async def test_list_reaction_users_in_id_order_with_after_and_limit(storage: PostgresStorage):
    place = await room(storage)
    users = [await seed.user(storage) for _ in range(5)]
    message = await storage.messages.create_message(draft(place))
    for user in reversed(users):
        await storage.reactions.add_reaction(place.channel.id, message.id, user.id, Emoji("🔥"))
    await storage.reactions.add_reaction(place.channel.id, message.id, place.owner.id, Emoji("👀"))

    first = await storage.reactions.list_reaction_users(message.id, Emoji("🔥"), limit=3)
    rest = await storage.reactions.list_reaction_users(
        message.id, Emoji("🔥"), after=first[-1].id, limit=3
    )

    assert first + rest == users  # full User records, sorted by id
    assert await storage.reactions.list_reaction_users(message.id, Emoji("🎉")) == []
    await storage.messages.delete_message(place.channel.id, message.id)
    assert await storage.reactions.list_reaction_users(message.id, Emoji("🔥")) == []


async def test_remove_all_reactions_counts_what_it_removed(storage: PostgresStorage):
    place = await room(storage)
    other = await seed.user(storage)
    message = await storage.messages.create_message(draft(place))
    bare = await storage.messages.create_message(draft(place))
    channel_id = place.channel.id
    for user in (place.owner, other):
        await storage.reactions.add_reaction(channel_id, message.id, user.id, Emoji("🔥"))
    await storage.reactions.add_reaction(channel_id, message.id, other.id, Emoji("x", Snowflake(3)))
    await storage.reactions.add_reaction(channel_id, message.id, other.id, Emoji("👀"))

    remove_all = storage.reactions.remove_all_reactions
    assert await remove_all(channel_id, message.id, Emoji("🔥")) == 2
    assert await remove_all(channel_id, message.id, Emoji("renamed", Snowflake(3))) == 1
    assert await remove_all(channel_id, message.id) == 1
    assert await remove_all(channel_id, message.id) == 0
    assert await remove_all(channel_id, bare.id) == 0
    assert await remove_all(channel_id, new_id()) is None
    got = await storage.messages.get_message(channel_id, message.id, other.id)
    assert got.reactions == ()


async def test_delete_author_messages_takes_only_that_authors_recent_messages_in_the_guild(
    storage,
):
    place = await room(storage)
    other_author = await seed.user(storage)
    await seed.member(storage, place.guild_id, other_author)
    second = await storage.channels.create_channel(
        Channel(id=new_id(), type=ChannelType.GUILD_TEXT, guild_id=place.guild_id, name="two")
    )
    elsewhere = await room(storage, owner=other_author)  # another guild, same author

    old = (await storage.messages.create_message(draft(place, "old", other_author))).id
    since = new_id()
    mine = [
        (await storage.messages.create_message(draft(place, "a", other_author))).id,
        (
            await storage.messages.create_message(
                replace(draft(place, "b", other_author), channel_id=second.id)
            )
        ).id,
        (await storage.messages.create_message(draft(place, "c", other_author))).id,
    ]
    kept = (await storage.messages.create_message(draft(place, "owner's"))).id
    far = (await storage.messages.create_message(draft(elsewhere, "other guild"))).id

    deleted = await storage.messages.delete_author_messages(place.guild_id, other_author.id, since)
    assert deleted == {place.channel.id: [mine[0], mine[2]], second.id: [mine[1]]}
    viewer = place.owner.id
    for gone in mine:
        channel = second.id if gone == mine[1] else place.channel.id
        assert await storage.messages.get_message(channel, gone, viewer) is None
    assert await storage.messages.get_message(place.channel.id, old, viewer) is not None
    assert await storage.messages.get_message(place.channel.id, kept, viewer) is not None
    assert await storage.messages.get_message(elsewhere.channel.id, far, viewer) is not None
    again = await storage.messages.delete_author_messages(place.guild_id, other_author.id, since)
    assert again == {}
