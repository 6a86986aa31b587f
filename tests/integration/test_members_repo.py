"""Members, bans and invites against a real PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import trio

from accord.adapters.postgres.storage import PostgresStorage
from accord.core.clock import SystemClock
from accord.core.entities import Ban, Channel, ChannelType, Guild, Invite, Member, Role, User
from accord.core.errors import Conflict, NotFound, Resource
from accord.core.permissions import DEFAULT_EVERYONE, Permission
from accord.core.snowflake import Snowflake, SnowflakeGenerator

_ids = SnowflakeGenerator(3, SystemClock())


def new_id() -> Snowflake:
    return _ids.next_id()


def now() -> datetime:
    return datetime.now(UTC)


async def make_user(storage: PostgresStorage, name: str | None = None) -> User:
    user_id = new_id()
    name = name or f"u{user_id}"
    account = await storage.users.create_account(User(user_id, name), f"{name}@example.com", "hash")
    return account.user


async def make_guild(storage: PostgresStorage, owner: User) -> tuple[Guild, Channel]:
    guild_id = new_id()
    guild = Guild(guild_id, "Guild", owner.id)
    channel = Channel(new_id(), ChannelType.GUILD_TEXT, guild_id, "general")
    await storage.guilds.create_guild(
        guild, Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE), [channel], now()
    )
    return guild, channel


async def make_role(storage: PostgresStorage, guild: Guild, name: str = "mod") -> Role:
    return await storage.roles.create_role(
        Role(new_id(), guild.id, name, Permission.KICK_MEMBERS, 1)
    )


async def join(storage: PostgresStorage, guild: Guild, user: User) -> Member:
    member = await storage.members.add_member(guild.id, user.id, now())
    assert member is not None
    return member


# --- members ---------------------------------------------------------------


async def test_add_member_joins_once(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    joined = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    member = await storage.members.add_member(guild.id, user.id, joined)

    assert member == Member(guild.id, user, joined)
    assert await storage.members.get_member(guild.id, user.id) == member
    assert await storage.members.add_member(guild.id, user.id, now()) is None
    assert await storage.members.get_member(guild.id, user.id) == member  # joined_at kept


async def test_add_member_to_unknown_guild_or_as_unknown_user(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, _ = await make_guild(storage, owner)

    with pytest.raises(NotFound) as no_guild:
        await storage.members.add_member(new_id(), owner.id, now())
    assert no_guild.value.resource is Resource.GUILD
    with pytest.raises(NotFound) as no_user:
        await storage.members.add_member(guild.id, new_id(), now())
    assert no_user.value.resource is Resource.USER


async def test_unknown_members_are_none_or_false(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    stranger = new_id()

    assert await storage.members.get_member(guild.id, stranger) is None
    assert await storage.members.remove_member(guild.id, stranger) is False
    assert await storage.members.remove_member_role(guild.id, stranger, new_id()) is False
    assert await storage.members.update_member(guild.id, stranger, nick="x", role_ids=[]) is None
    assert await storage.members.count_members(new_id()) == 0


async def test_list_members_pages_in_user_id_order(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    for _ in range(4):
        await join(storage, guild, await make_user(storage))
    ids = await storage.members.list_guild_member_ids(guild.id)

    first = await storage.members.list_members(guild.id, limit=2)
    rest = await storage.members.list_members(guild.id, after=first[-1].user.id, limit=10)

    assert len(ids) == 5 and ids == sorted(ids)
    assert [m.user.id for m in first] == ids[:2]
    assert [m.user.id for m in rest] == ids[2:]
    assert [m.user.id for m in await storage.members.list_members(guild.id)] == ids[:1]
    assert await storage.members.list_members(guild.id, after=ids[-1], limit=10) == []
    assert await storage.members.count_members(guild.id) == 5


async def test_search_members_by_username_or_nick_prefix(storage: PostgresStorage):
    owner = await make_user(storage, "zed")
    guild, _ = await make_guild(storage, owner)
    alice = await make_user(storage, "Alice")
    alfred = await make_user(storage, "alfred")
    bob = await make_user(storage, "bob")
    for user in (alice, alfred, bob):
        await join(storage, guild, user)
    await storage.members.update_member(guild.id, bob.id, nick="Almighty", role_ids=[])

    found = await storage.members.search_members(guild.id, "AL", 10)
    limited = await storage.members.search_members(guild.id, "al", 2)

    assert {m.user.id for m in found} == {alice.id, alfred.id, bob.id}
    assert [m.user.id for m in found] == sorted(m.user.id for m in found)
    assert len(limited) == 2
    assert await storage.members.search_members(guild.id, "alf", 10) == [
        await storage.members.get_member(guild.id, alfred.id)
    ]
    # Wildcards in the prefix are plain characters.
    assert await storage.members.search_members(guild.id, "%", 10) == []
    assert await storage.members.search_members(guild.id, "_", 10) == []


async def test_get_members_returns_the_members_among_the_ids(storage: PostgresStorage):
    owner = await make_user(storage)
    member = await make_user(storage)
    outsider = await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    await join(storage, guild, member)

    found = await storage.members.get_members(guild.id, [member.id, outsider.id, owner.id])

    assert {m.user.id for m in found} == {owner.id, member.id}
    assert await storage.members.get_members(guild.id, []) == []


async def test_update_member_replaces_nick_and_roles(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    a, b, c = [await make_role(storage, guild, name) for name in "abc"]
    await join(storage, guild, user)
    await storage.members.update_member(guild.id, user.id, nick="first", role_ids=[a.id, b.id])

    # @everyone and repeats are accepted and not stored.
    updated = await storage.members.update_member(
        guild.id, user.id, nick="second", role_ids=[c.id, guild.id, b.id, c.id]
    )

    assert updated is not None
    assert updated.nick == "second"
    assert updated.role_ids == tuple(sorted((b.id, c.id)))
    assert await storage.members.get_member(guild.id, user.id) == updated
    cleared = await storage.members.update_member(guild.id, user.id, nick=None, role_ids=[])
    assert cleared is not None and cleared.nick is None and cleared.role_ids == ()


async def test_update_member_with_a_foreign_role_changes_nothing(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    other, _ = await make_guild(storage, owner)
    mine = await make_role(storage, guild)
    foreign = await make_role(storage, other)
    await join(storage, guild, user)
    before = await storage.members.update_member(guild.id, user.id, nick="kept", role_ids=[mine.id])

    for bad in (foreign.id, new_id()):
        with pytest.raises(NotFound) as caught:
            await storage.members.update_member(
                guild.id, user.id, nick="lost", role_ids=[mine.id, bad]
            )
        assert caught.value.resource is Resource.ROLE

    assert await storage.members.get_member(guild.id, user.id) == before


async def test_add_and_remove_a_member_role(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    mod = await make_role(storage, guild)
    await join(storage, guild, user)

    assert await storage.members.add_member_role(guild.id, user.id, mod.id) is True
    assert await storage.members.add_member_role(guild.id, user.id, mod.id) is False
    assert await storage.members.add_member_role(guild.id, user.id, guild.id) is False
    held = await storage.members.get_member(guild.id, user.id)
    assert held is not None and held.role_ids == (mod.id,)
    assert await storage.members.remove_member_role(guild.id, user.id, mod.id) is True
    assert await storage.members.remove_member_role(guild.id, user.id, mod.id) is False
    held = await storage.members.get_member(guild.id, user.id)
    assert held is not None and held.role_ids == ()


async def test_add_member_role_rejects_foreign_roles_and_non_members(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    other, _ = await make_guild(storage, owner)
    foreign = await make_role(storage, other)
    mine = await make_role(storage, guild)
    await join(storage, guild, user)

    with pytest.raises(NotFound) as wrong_role:
        await storage.members.add_member_role(guild.id, user.id, foreign.id)
    assert wrong_role.value.resource is Resource.ROLE
    with pytest.raises(NotFound) as not_member:
        await storage.members.add_member_role(guild.id, new_id(), mine.id)
    assert not_member.value.resource is Resource.MEMBER


async def test_remove_member_drops_membership_and_roles(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    mod = await make_role(storage, guild)
    await join(storage, guild, user)
    await storage.members.add_member_role(guild.id, user.id, mod.id)

    assert await storage.members.remove_member(guild.id, user.id) is True
    assert await storage.members.get_member(guild.id, user.id) is None
    assert await storage.members.list_guild_member_ids(guild.id) == [owner.id]
    rejoined = await join(storage, guild, user)
    assert rejoined.role_ids == ()


# --- bans ------------------------------------------------------------------


async def test_ban_removes_the_member_and_blocks_rejoining(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    mod = await make_role(storage, guild)
    await join(storage, guild, user)
    await storage.members.add_member_role(guild.id, user.id, mod.id)

    assert await storage.bans.ban(guild.id, user.id, "spam", owner.id) is True

    assert await storage.members.get_member(guild.id, user.id) is None
    assert await storage.bans.get_ban(guild.id, user.id) == Ban(guild.id, user, "spam")
    with pytest.raises(Conflict) as caught:
        await storage.members.add_member(guild.id, user.id, now())
    assert (caught.value.code, caught.value.discord_code) == ("USER_BANNED", 40007)
    assert await storage.members.get_member(guild.id, user.id) is None


async def test_ban_twice_is_false_and_unban_lets_them_back(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    mod = await make_role(storage, guild)
    await join(storage, guild, user)
    await storage.members.add_member_role(guild.id, user.id, mod.id)

    assert await storage.bans.ban(guild.id, user.id, None, owner.id) is True
    assert await storage.bans.ban(guild.id, user.id, "again", owner.id) is False
    ban = await storage.bans.get_ban(guild.id, user.id)
    assert ban is not None and ban.reason is None
    assert await storage.bans.unban(guild.id, user.id) is True
    assert await storage.bans.unban(guild.id, user.id) is False
    assert await storage.bans.get_ban(guild.id, user.id) is None
    # The roles went with the old membership.
    assert (await join(storage, guild, user)).role_ids == ()


async def test_a_user_who_never_joined_can_be_banned(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, _ = await make_guild(storage, owner)

    assert await storage.bans.ban(guild.id, user.id, None, owner.id) is True
    with pytest.raises(Conflict):
        await storage.members.add_member(guild.id, user.id, now())


async def test_ban_of_unknown_guild_or_user_is_not_found(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, _ = await make_guild(storage, owner)

    with pytest.raises(NotFound) as no_guild:
        await storage.bans.ban(new_id(), owner.id, None, owner.id)
    assert no_guild.value.resource is Resource.GUILD
    with pytest.raises(NotFound) as no_user:
        await storage.bans.ban(guild.id, new_id(), None, owner.id)
    assert no_user.value.resource is Resource.USER
    assert await storage.bans.list_bans(guild.id) == []


async def test_list_bans_pages_in_user_id_order(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, _ = await make_guild(storage, owner)
    other, _ = await make_guild(storage, owner)
    banned = [await make_user(storage) for _ in range(3)]
    for user in reversed(banned):
        await storage.bans.ban(guild.id, user.id, None, owner.id)
    await storage.bans.ban(other.id, banned[0].id, None, owner.id)

    everyone = await storage.bans.list_bans(guild.id)
    page = await storage.bans.list_bans(guild.id, after=banned[0].id, limit=1)

    assert [b.user for b in everyone] == banned
    assert [b.user for b in page] == [banned[1]]
    assert await storage.bans.list_bans(guild.id, after=banned[2].id) == []
    assert await storage.bans.get_ban(guild.id, owner.id) is None


# --- invites ---------------------------------------------------------------


def invite_for(
    guild: Guild, channel: Channel, inviter: User, *, max_uses: int = 0, max_age: int = 0
) -> Invite:
    code = f"c{new_id()}"
    return Invite(code, guild.id, channel.id, inviter.id, now(), max_uses=max_uses, max_age=max_age)


async def test_create_read_list_and_delete_invites(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, general = await make_guild(storage, owner)
    other, elsewhere = await make_guild(storage, owner)
    first = invite_for(guild, general, owner, max_uses=5, max_age=3600)
    second = invite_for(guild, general, owner)
    foreign = invite_for(other, elsewhere, owner)

    for invite in (first, second, foreign):
        assert await storage.invites.create_invite(invite) == invite

    assert await storage.invites.get_invite(first.code) == first
    assert await storage.invites.list_guild_invites(guild.id) == [first, second]
    assert await storage.invites.list_channel_invites(general.id) == [first, second]
    assert await storage.invites.list_channel_invites(elsewhere.id) == [foreign]
    assert await storage.invites.delete_invite(first.code) == first
    assert await storage.invites.delete_invite(first.code) is None
    assert await storage.invites.get_invite(first.code) is None
    assert await storage.invites.list_guild_invites(guild.id) == [second]


async def test_create_invite_rejects_duplicates_and_foreign_channels(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, general = await make_guild(storage, owner)
    _other, elsewhere = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner))

    with pytest.raises(Conflict) as duplicate:
        await storage.invites.create_invite(invite)
    assert duplicate.value.code == "INVITE_CODE_TAKEN"
    with pytest.raises(NotFound) as wrong_channel:
        await storage.invites.create_invite(invite_for(guild, elsewhere, owner))
    assert wrong_channel.value.resource is Resource.CHANNEL
    assert await storage.invites.list_guild_invites(guild.id) == [invite]


async def test_accept_invite_joins_and_counts_the_use(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, general = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner, max_uses=2))
    moment = now()

    used, member = await storage.invites.accept_invite(invite.code, user.id, moment)

    assert used == replace(invite, uses=1)
    assert member == Member(guild.id, user, moment)
    assert await storage.members.get_member(guild.id, user.id) == member
    assert await storage.invites.get_invite(invite.code) == used


async def test_accept_invite_as_a_member_uses_nothing(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, general = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner, max_uses=1))

    assert await storage.invites.accept_invite(invite.code, owner.id, now()) == (invite, None)
    assert await storage.invites.get_invite(invite.code) == invite


async def test_used_up_invite_is_not_found(storage: PostgresStorage):
    owner = await make_user(storage)
    first = await make_user(storage)
    second = await make_user(storage)
    guild, general = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner, max_uses=1))
    await storage.invites.accept_invite(invite.code, first.id, now())

    with pytest.raises(NotFound) as caught:
        await storage.invites.accept_invite(invite.code, second.id, now())

    assert caught.value.resource is Resource.INVITE
    assert await storage.members.get_member(guild.id, second.id) is None


async def test_expired_invite_is_not_found(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, general = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner, max_age=60))
    assert invite.expires_at is not None

    with pytest.raises(NotFound) as caught:
        await storage.invites.accept_invite(invite.code, user.id, invite.expires_at)
    assert caught.value.resource is Resource.INVITE
    assert await storage.members.get_member(guild.id, user.id) is None
    # A moment before expiry it still works.
    early = invite.expires_at - timedelta(seconds=1)
    _, member = await storage.invites.accept_invite(invite.code, user.id, early)
    assert member is not None


async def test_unknown_invite_is_not_found(storage: PostgresStorage):
    user = await make_user(storage)

    with pytest.raises(NotFound) as caught:
        await storage.invites.accept_invite("nosuchcode", user.id, now())
    assert caught.value.resource is Resource.INVITE


async def test_banned_user_cannot_accept_an_invite(storage: PostgresStorage):
    owner, user = await make_user(storage), await make_user(storage)
    guild, general = await make_guild(storage, owner)
    invite = await storage.invites.create_invite(invite_for(guild, general, owner))
    await storage.bans.ban(guild.id, user.id, None, owner.id)

    with pytest.raises(Conflict) as caught:
        await storage.invites.accept_invite(invite.code, user.id, now())

    assert (caught.value.code, caught.value.discord_code) == ("USER_BANNED", 40007)
    assert await storage.invites.get_invite(invite.code) == invite
    assert await storage.members.get_member(guild.id, user.id) is None


async def test_concurrent_accepts_of_a_one_use_invite_admit_one(storage: PostgresStorage):
    owner = await make_user(storage)
    guild, general = await make_guild(storage, owner)
    users = [await make_user(storage) for _ in range(4)]
    invite = await storage.invites.create_invite(invite_for(guild, general, owner, max_uses=1))
    # Open the pool's connections first, so the attempts really overlap.
    async with trio.open_nursery() as nursery:
        for _ in users:
            nursery.start_soon(storage.invites.get_invite, invite.code)
    admitted: list[User] = []
    refused: list[User] = []

    async def accept(user: User) -> None:
        try:
            await storage.invites.accept_invite(invite.code, user.id, now())
        except NotFound:
            refused.append(user)
        else:
            admitted.append(user)

    async with trio.open_nursery() as nursery:
        for user in users:
            nursery.start_soon(accept, user)

    assert len(admitted) == 1 and len(refused) == 3
    assert await storage.members.count_members(guild.id) == 2
    used = await storage.invites.get_invite(invite.code)
    assert used is not None and used.uses == 1
