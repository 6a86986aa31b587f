"""A guild's in-memory view computes channel permissions as the REST API would, from memory."""

from __future__ import annotations

from accord.core.permissions import ALL, NONE, Permission
from accord.core.snowflake import Snowflake
from accord.gateway.guild_view import GuildView, load_view
from tests.unit.gateway_fakes import (
    BOT,
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
    snapshot,
)


def view() -> GuildView:
    return GuildView.from_snapshot(snapshot(), MEMBERS)


def test_the_owner_has_everything_even_where_everyone_is_denied() -> None:
    assert view().permissions_in(OWNER.id, SECRET) == ALL


def test_an_everyone_overwrite_hides_the_channel_from_plain_members() -> None:
    v = view()
    assert v.permissions_in(MEMBER.id, SECRET) == NONE
    assert v.permissions_in(BOT.id, SECRET) == NONE
    assert v.permissions_in(MEMBER.id, GENERAL) & Permission.VIEW_CHANNEL


def test_a_role_overwrite_allows_it_back() -> None:
    granted = view().permissions_in(MODERATOR.id, SECRET)
    assert granted & Permission.VIEW_CHANNEL
    assert granted & Permission.MANAGE_MESSAGES  # the role's own permission applies too


def test_non_members_and_unknown_channels_get_nothing() -> None:
    v = view()
    assert v.permissions_in(OUTSIDER.id, GENERAL) == NONE
    assert v.permissions_in(MEMBER.id, Snowflake(999)) == NONE
    assert not v.is_member(OUTSIDER.id)
    assert v.is_member(MEMBER.id)


def test_new_member_roles_replace_what_was_computed_before() -> None:
    v = view()
    assert v.permissions_in(MEMBER.id, SECRET) == NONE  # computed, and cached
    v.add_members([member(MEMBER, MOD_ROLE)])
    assert v.permissions_in(MEMBER.id, SECRET) & Permission.VIEW_CHANNEL
    v.add_members([member(MEMBER)])
    assert v.permissions_in(MEMBER.id, SECRET) == NONE


async def test_load_view_reads_only_the_given_members() -> None:
    storage = FakeStorage(MEMBERS)
    storage.guilds.snapshots[GUILD] = snapshot(members=())  # GUILD_CREATE's member list is not used
    loaded = await load_view(storage, GUILD, [MEMBER.id, MODERATOR.id])  # type: ignore[arg-type]
    assert loaded is not None
    assert loaded.owner_id == OWNER.id
    assert set(loaded.member_roles) == {MEMBER.id, MODERATOR.id}
    assert loaded.permissions_in(MODERATOR.id, SECRET) & Permission.VIEW_CHANNEL


async def test_load_view_of_a_vanished_guild_is_none() -> None:
    assert await load_view(FakeStorage(), GUILD, [MEMBER.id]) is None  # type: ignore[arg-type]
