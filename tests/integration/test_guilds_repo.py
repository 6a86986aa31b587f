"""Guilds and roles against a real PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.clock import SystemClock
from accord.core.entities import Channel, ChannelType, Guild, Role, User
from accord.core.errors import Conflict, NotFound, Resource
from accord.core.permissions import DEFAULT_EVERYONE, Overwrite, OverwriteType, Permission
from accord.core.snowflake import Snowflake, SnowflakeGenerator

_ids = SnowflakeGenerator(2, SystemClock())


def new_id() -> Snowflake:
    return _ids.next_id()


async def make_user(storage: PostgresStorage) -> User:
    user_id = new_id()
    account = await storage.users.create_account(
        User(user_id, f"u{user_id}"), f"u{user_id}@example.com", "hash"
    )
    return account.user


def text_channel(guild_id: Snowflake, name: str = "general", **fields: object) -> Channel:
    return replace(Channel(new_id(), ChannelType.GUILD_TEXT, guild_id, name), **fields)


async def make_guild(
    storage: PostgresStorage, owner: User, channels: list[Channel] | None = None
) -> Guild:
    guild_id = new_id()
    guild = Guild(guild_id, "Guild", owner.id)
    everyone = Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE)
    if channels is None:
        channels = [text_channel(guild_id)]
    await storage.guilds.create_guild(guild, everyone, channels, datetime.now(UTC))
    return guild


def role(guild: Guild, name: str = "mod", position: int = 1, **fields: object) -> Role:
    return replace(Role(new_id(), guild.id, name, Permission.KICK_MEMBERS, position), **fields)


# --- guilds ----------------------------------------------------------------


async def test_create_guild_stores_everything_a_guild_starts_with(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()
    guild = Guild(guild_id, "Home", owner.id, description="a place")
    everyone = Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE)
    general = Channel(new_id(), ChannelType.GUILD_TEXT, guild_id, "general", topic="hi")
    joined = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    await storage.guilds.create_guild(guild, everyone, [general], joined)

    assert await storage.guilds.get_guild(guild_id) == guild
    snapshot = await storage.guilds.get_guild_snapshot(guild_id, 10)
    assert snapshot is not None
    assert snapshot.guild == guild
    assert snapshot.roles == (everyone,)
    assert snapshot.channels == (general,)
    assert [m.user for m in snapshot.members] == [owner]
    assert snapshot.members[0].joined_at == joined
    assert snapshot.members[0].role_ids == ()
    assert snapshot.member_count == 1
    counts = await storage.guilds.get_guild_counts(guild_id)
    assert counts is not None and (counts.member_count, counts.channel_count) == (1, 1)


async def test_create_guild_with_a_category_its_child_and_overwrites(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()
    category = Channel(new_id(), ChannelType.GUILD_CATEGORY, guild_id, "Text", position=0)
    deny_everyone = Overwrite(guild_id, OverwriteType.ROLE, deny=Permission.SEND_MESSAGES)
    allow_owner = Overwrite(owner.id, OverwriteType.MEMBER, allow=Permission.SEND_MESSAGES)
    child = Channel(
        new_id(),
        ChannelType.GUILD_TEXT,
        guild_id,
        "rules",
        position=1,
        parent_id=category.id,
        overwrites=(deny_everyone, allow_owner),
    )

    # The child comes first in the list; the category must still be inserted first.
    await storage.guilds.create_guild(
        Guild(guild_id, "G", owner.id),
        Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE),
        [child, category],
        datetime.now(UTC),
    )

    snapshot = await storage.guilds.get_guild_snapshot(guild_id, 0)
    assert snapshot is not None
    # Overwrites read back in target-id order.
    in_order = tuple(sorted(child.overwrites, key=lambda o: o.id))
    assert snapshot.channels == (category, replace(child, overwrites=in_order))


async def test_create_guild_with_a_bad_channel_writes_nothing(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()
    good = text_channel(guild_id)
    too_long = text_channel(guild_id, "x" * 101)

    with pytest.raises(asyncpg.CheckViolationError):
        await storage.guilds.create_guild(
            Guild(guild_id, "G", owner.id),
            Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE),
            [good, too_long],
            datetime.now(UTC),
        )

    assert await storage.guilds.get_guild(guild_id) is None
    assert await storage.guilds.list_user_guild_ids(owner.id) == []
    assert await storage.roles.list_roles(guild_id) == []


async def test_create_guild_with_a_duplicate_channel_id_is_a_conflict(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()
    channel = text_channel(guild_id)

    with pytest.raises(Conflict) as caught:
        await storage.guilds.create_guild(
            Guild(guild_id, "G", owner.id),
            Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE),
            [channel, replace(channel, name="again")],
            datetime.now(UTC),
        )

    assert caught.value.code == "CHANNEL_ID_TAKEN"
    assert await storage.guilds.get_guild(guild_id) is None


async def test_create_guild_for_an_unknown_owner_is_not_found(storage: PostgresStorage):
    guild_id = new_id()

    with pytest.raises(NotFound) as caught:
        await storage.guilds.create_guild(
            Guild(guild_id, "G", new_id()),
            Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE),
            [],
            datetime.now(UTC),
        )

    assert caught.value.resource is Resource.USER
    assert await storage.guilds.get_guild(guild_id) is None


async def test_create_guild_twice_is_a_conflict(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)

    with pytest.raises(Conflict) as caught:
        await storage.guilds.create_guild(
            guild,
            Role(guild.id, guild.id, "@everyone", DEFAULT_EVERYONE),
            [],
            datetime.now(UTC),
        )
    assert caught.value.code == "GUILD_ID_TAKEN"


async def test_create_guild_insists_that_everyone_has_the_guild_id(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()

    with pytest.raises(ValueError):
        await storage.guilds.create_guild(
            Guild(guild_id, "G", owner.id),
            Role(new_id(), guild_id, "@everyone", DEFAULT_EVERYONE),
            [],
            datetime.now(UTC),
        )
    assert await storage.guilds.get_guild(guild_id) is None


async def test_unknown_guild_reads_are_none(storage: PostgresStorage):
    unknown = new_id()

    assert await storage.guilds.get_guild(unknown) is None
    assert await storage.guilds.get_guild_counts(unknown) is None
    assert await storage.guilds.get_guild_snapshot(unknown, 10) is None
    assert await storage.guilds.update_guild(Guild(unknown, "G", new_id())) is None
    assert await storage.guilds.delete_guild(unknown) is False


async def test_snapshot_orders_and_bounds_what_it_carries(storage: PostgresStorage):
    owner = await make_user(storage)
    guild_id = new_id()
    channels = [
        text_channel(guild_id, "b", position=1),
        text_channel(guild_id, "c", position=0),
        text_channel(guild_id, "a", position=1),
    ]
    guild = Guild(guild_id, "G", owner.id)
    await storage.guilds.create_guild(
        guild, Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE), channels, datetime.now(UTC)
    )
    high, low_b, low_a = role(guild, "high", 2), role(guild, "lb", 1), role(guild, "la", 1)
    for each in (high, low_b, low_a):
        await storage.roles.create_role(each)
    users = [owner] + [await make_user(storage) for _ in range(4)]
    for user in users[1:]:
        await storage.members.add_member(guild_id, user.id, datetime.now(UTC))

    snapshot = await storage.guilds.get_guild_snapshot(guild_id, 3)

    assert snapshot is not None
    assert [c.name for c in snapshot.channels] == ["c", "b", "a"]  # position, then id
    assert [r.id for r in snapshot.roles] == [guild_id, low_b.id, low_a.id, high.id]
    assert [m.user.id for m in snapshot.members] == sorted(u.id for u in users)[:3]
    assert snapshot.member_count == 5
    empty = await storage.guilds.get_guild_snapshot(guild_id, 0)
    assert empty is not None and empty.members == () and empty.member_count == 5


async def test_update_guild_writes_fields_and_transfers_ownership(storage: PostgresStorage):
    owner, heir = await make_user(storage), await make_user(storage)
    guild = await make_guild(storage, owner)
    changed = replace(guild, name="New", icon="icon1", description="desc", owner_id=heir.id)

    assert await storage.guilds.update_guild(changed) == changed
    assert await storage.guilds.get_guild(guild.id) == changed


async def test_update_guild_to_an_unknown_owner_is_not_found(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)

    with pytest.raises(NotFound) as caught:
        await storage.guilds.update_guild(replace(guild, name="X", owner_id=new_id()))

    assert caught.value.resource is Resource.USER
    assert await storage.guilds.get_guild(guild.id) == guild


async def test_delete_guild_takes_everything_with_it(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)
    await storage.roles.create_role(role(guild))

    assert await storage.guilds.delete_guild(guild.id) is True
    assert await storage.guilds.get_guild(guild.id) is None
    assert await storage.roles.list_roles(guild.id) == []
    assert await storage.members.get_member(guild.id, owner.id) is None
    assert await storage.guilds.delete_guild(guild.id) is False


async def test_list_user_guilds_pages_by_id(storage: PostgresStorage):
    user, stranger = await make_user(storage), await make_user(storage)
    guilds = [await make_guild(storage, user) for _ in range(5)]
    await make_guild(storage, stranger)
    ids = [g.id for g in guilds]

    assert [g.id for g in await storage.guilds.list_user_guilds(user.id)] == ids
    assert [g.id for g in await storage.guilds.list_user_guilds(user.id, limit=2)] == ids[:2]
    after = await storage.guilds.list_user_guilds(user.id, after=ids[1], limit=2)
    assert [g.id for g in after] == ids[2:4]
    # Paging backwards: the ones just below ``before``, still in id order.
    before = await storage.guilds.list_user_guilds(user.id, before=ids[4], limit=2)
    assert [g.id for g in before] == ids[2:4]
    both = await storage.guilds.list_user_guilds(user.id, after=ids[0], before=ids[3])
    assert [g.id for g in both] == ids[1:3]
    assert await storage.guilds.list_user_guilds(user.id, after=ids[4]) == []
    assert await storage.guilds.list_user_guilds(user.id, limit=0) == []
    assert await storage.guilds.list_user_guild_ids(user.id) == ids
    assert await storage.guilds.list_user_guild_ids(new_id()) == []


async def test_list_user_guilds_follows_membership(storage: PostgresStorage):
    owner, member = await make_user(storage), await make_user(storage)
    guild = await make_guild(storage, owner)
    await storage.members.add_member(guild.id, member.id, datetime.now(UTC))

    assert await storage.guilds.list_user_guilds(member.id) == [guild]
    await storage.members.remove_member(guild.id, member.id)
    assert await storage.guilds.list_user_guilds(member.id) == []


# --- roles -----------------------------------------------------------------


async def test_create_and_read_roles(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)
    mod = role(guild, "mod", 1, color=0xFF0000, hoist=True, mentionable=True)

    assert await storage.roles.create_role(mod) == mod
    assert await storage.roles.get_role(guild.id, mod.id) == mod
    everyone = await storage.roles.get_role(guild.id, guild.id)
    assert everyone is not None and everyone.is_everyone
    assert await storage.roles.list_roles(guild.id) == [everyone, mod]


async def test_role_lookups_are_scoped_to_their_guild(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, other = await make_guild(storage, owner), await make_guild(storage, owner)
    mod = await storage.roles.create_role(role(guild))

    assert await storage.roles.get_role(other.id, mod.id) is None
    assert await storage.roles.get_role(guild.id, new_id()) is None
    assert await storage.roles.update_role(replace(mod, guild_id=other.id, name="x")) is None
    assert await storage.roles.delete_role(other.id, mod.id) is False
    assert await storage.roles.get_role(guild.id, mod.id) == mod


async def test_create_role_rejects_duplicates_and_unknown_guilds(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)
    mod = await storage.roles.create_role(role(guild))

    with pytest.raises(Conflict) as duplicate:
        await storage.roles.create_role(replace(mod, name="again"))
    assert duplicate.value.code == "ROLE_ID_TAKEN"
    with pytest.raises(NotFound) as missing:
        await storage.roles.create_role(replace(mod, id=new_id(), guild_id=new_id()))
    assert missing.value.resource is Resource.GUILD


async def test_update_role_writes_its_fields(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)
    mod = await storage.roles.create_role(role(guild))
    changed = replace(
        mod,
        name="admin",
        permissions=Permission.ADMINISTRATOR,
        position=3,
        color=0x00FF00,
        hoist=True,
        mentionable=True,
    )

    assert await storage.roles.update_role(changed) == changed
    assert await storage.roles.get_role(guild.id, mod.id) == changed


async def test_delete_role_unassigns_it_and_drops_its_overwrites(storage: PostgresStorage):
    owner, member = await make_user(storage), await make_user(storage)
    guild_id = new_id()
    mod_id, keep_id = new_id(), new_id()
    mod_overwrite = Overwrite(mod_id, OverwriteType.ROLE, allow=Permission.MANAGE_MESSAGES)
    keep_overwrite = Overwrite(keep_id, OverwriteType.ROLE, deny=Permission.SEND_MESSAGES)
    # A member overwrite whose target shares nothing with the role stays put.
    member_overwrite = Overwrite(member.id, OverwriteType.MEMBER, allow=Permission.SEND_MESSAGES)
    channel = text_channel(guild_id, overwrites=(mod_overwrite, keep_overwrite, member_overwrite))
    guild = Guild(guild_id, "G", owner.id)
    await storage.guilds.create_guild(
        guild, Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE), [channel], datetime.now(UTC)
    )
    mod = await storage.roles.create_role(replace(role(guild), id=mod_id))
    keep = await storage.roles.create_role(replace(role(guild, "keep"), id=keep_id))
    await storage.members.add_member(guild_id, member.id, datetime.now(UTC))
    await storage.members.update_member(guild_id, member.id, nick=None, role_ids=[mod.id, keep.id])

    assert await storage.roles.delete_role(guild_id, mod.id) is True

    assert await storage.roles.get_role(guild_id, mod.id) is None
    held = await storage.members.get_member(guild_id, member.id)
    assert held is not None and held.role_ids == (keep.id,)
    snapshot = await storage.guilds.get_guild_snapshot(guild_id, 0)
    assert snapshot is not None
    assert set(snapshot.channels[0].overwrites) == {keep_overwrite, member_overwrite}
    assert await storage.roles.delete_role(guild_id, mod.id) is False


async def test_everyone_cannot_be_deleted(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)

    assert await storage.roles.delete_role(guild.id, guild.id) is False
    assert await storage.roles.get_role(guild.id, guild.id) is not None


async def test_set_role_positions_moves_roles_together(storage: PostgresStorage):
    owner = await make_user(storage)
    guild = await make_guild(storage, owner)
    a = await storage.roles.create_role(role(guild, "a", 1))
    b = await storage.roles.create_role(role(guild, "b", 2))

    roles = await storage.roles.set_role_positions(guild.id, [(a.id, 2), (b.id, 1)])

    assert [(r.id, r.position) for r in roles] == [(guild.id, 0), (b.id, 1), (a.id, 2)]
    assert await storage.roles.list_roles(guild.id) == roles


async def test_set_role_positions_with_a_foreign_role_moves_nothing(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, other = await make_guild(storage, owner), await make_guild(storage, owner)
    a = await storage.roles.create_role(role(guild, "a", 1))
    foreign = await storage.roles.create_role(role(other, "f", 1))

    with pytest.raises(NotFound) as caught:
        await storage.roles.set_role_positions(guild.id, [(a.id, 5), (foreign.id, 6)])

    assert caught.value.resource is Resource.ROLE
    assert await storage.roles.get_role(guild.id, a.id) == a
    assert await storage.roles.get_role(other.id, foreign.id) == foreign
