"""MemberService: listing and searching members, nicknames, member roles, kicks, leaving."""

from __future__ import annotations

import pytest

from accord.core.entities import Role, User
from accord.core.errors import Conflict, NotFound, PermissionDenied, Resource, ValidationError
from accord.core.permissions import Permission
from accord.core.services.members import SEARCH_QUERY_MAX, MemberChanges
from accord.core.shapes import JSON
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GUILD,
    HELPER,
    HELPER_ROLE,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    OUTSIDER,
    OWNER,
    PEER,
    World,
)


def user_ids(shapes: list[JSON]) -> list[str]:
    return [s["user"]["id"] for s in shapes]


async def test_list_pages_members_in_user_id_order(world: World) -> None:
    service = world.members()
    assert user_ids(await service.list_members(MEMBER.id, GUILD)) == [str(OWNER.id)]
    page = await service.list_members(MEMBER.id, GUILD, limit=2, after=str(MODERATOR.id))
    assert user_ids(page) == [str(PEER.id), str(HELPER.id)]
    with pytest.raises(ValidationError):
        await service.list_members(MEMBER.id, GUILD, limit=1001)
    with pytest.raises(NotFound):
        await service.list_members(OUTSIDER.id, GUILD)


async def test_search_matches_a_name_prefix_case_insensitively(world: World) -> None:
    found = await world.members().search(MEMBER.id, GUILD, query="MEM", limit=10)
    assert user_ids(found) == [str(MEMBER.id)]
    for query in ("", "x" * (SEARCH_QUERY_MAX + 1), None):
        with pytest.raises(ValidationError):
            await world.members().search(MEMBER.id, GUILD, query=query)


async def test_get_reads_one_member(world: World) -> None:
    assert (await world.members().get(MEMBER.id, GUILD, HELPER.id))["roles"] == [str(HELPER_ROLE)]
    with pytest.raises(NotFound) as refused:
        await world.members().get(MEMBER.id, GUILD, OUTSIDER.id)
    assert refused.value.resource is Resource.MEMBER


async def test_a_member_renames_themself_and_only_that_is_announced(world: World) -> None:
    payload = await world.members().modify(
        MEMBER.id, GUILD, MEMBER.id, MemberChanges(nick="me", set_nick=True)
    )
    assert payload["nick"] == "me"
    [event] = world.bus.events
    assert (event.type, event.affects) == ("GUILD_MEMBER_UPDATE", frozenset())


async def test_renaming_oneself_needs_change_nickname(world: World) -> None:
    world.revoke_everyone(Permission.CHANGE_NICKNAME)
    with pytest.raises(PermissionDenied):
        await world.members().modify(
            MEMBER.id, GUILD, MEMBER.id, MemberChanges(nick="me", set_nick=True)
        )


@pytest.mark.parametrize("caller", [MEMBER, HELPER])
async def test_renaming_another_needs_manage_nicknames(world: World, caller: User) -> None:
    with pytest.raises(PermissionDenied):
        await world.members().modify(
            caller.id,
            GUILD,
            OWNER.id,
            MemberChanges(nick="x", set_nick=True),
        )


@pytest.mark.parametrize("target", [PEER, OWNER])
async def test_moderation_stops_at_equals_and_the_owner(world: World, target: User) -> None:
    with pytest.raises(PermissionDenied):
        await world.members().modify(
            MODERATOR.id,
            GUILD,
            target.id,
            MemberChanges(nick="x", set_nick=True),
        )


async def test_setting_roles_tells_the_member_their_view_changed(world: World) -> None:
    changes = MemberChanges(roles=[str(HELPER_ROLE), str(GUILD)])  # @everyone is implicit
    payload = await world.members().modify(MODERATOR.id, GUILD, MEMBER.id, changes)
    assert payload["roles"] == [str(HELPER_ROLE)]
    [event] = world.bus.events
    assert event.affects == frozenset({MEMBER.id})


async def test_unchanged_member_publishes_nothing(world: World) -> None:
    changes = MemberChanges(roles=[str(HELPER_ROLE)])
    await world.members().modify(MODERATOR.id, GUILD, HELPER.id, changes)
    assert world.bus.events == []


async def test_setting_roles_needs_manage_roles_a_known_role_and_a_lower_one(world: World) -> None:
    service = world.members()
    with pytest.raises(PermissionDenied):
        await service.modify(HELPER.id, GUILD, MEMBER.id, MemberChanges(roles=[str(HELPER_ROLE)]))
    with pytest.raises(NotFound):
        await service.modify(MODERATOR.id, GUILD, MEMBER.id, MemberChanges(roles=["999"]))
    with pytest.raises(PermissionDenied):
        await service.modify(MODERATOR.id, GUILD, MEMBER.id, MemberChanges(roles=[str(MOD_ROLE)]))
    with pytest.raises(ValidationError):
        await service.modify(MODERATOR.id, GUILD, MEMBER.id, MemberChanges(roles=["x"]))
    assert world.roles_of(MEMBER) == ()


async def test_add_and_remove_a_role(world: World) -> None:
    await world.members().add_role(MODERATOR.id, GUILD, MEMBER.id, HELPER_ROLE)
    assert world.roles_of(MEMBER) == (HELPER_ROLE,)
    await world.members().add_role(MODERATOR.id, GUILD, MEMBER.id, HELPER_ROLE)  # held already
    await world.members().remove_role(MODERATOR.id, GUILD, MEMBER.id, HELPER_ROLE)
    assert world.roles_of(MEMBER) == ()
    assert [(e.type, e.affects) for e in world.bus.events] == [
        ("GUILD_MEMBER_UPDATE", frozenset({MEMBER.id})),
        ("GUILD_MEMBER_UPDATE", frozenset({MEMBER.id})),
    ]


async def test_role_changes_refuse_managed_unknown_and_higher_roles(world: World) -> None:
    managed = world.role(Role(Snowflake(300), GUILD, "bot", Permission(0), 1, managed=True))
    service = world.members()
    with pytest.raises(PermissionDenied):
        await service.add_role(MODERATOR.id, GUILD, MEMBER.id, managed.id)
    with pytest.raises(NotFound) as refused:
        await service.add_role(MODERATOR.id, GUILD, MEMBER.id, Snowflake(999))
    assert refused.value.resource is Resource.ROLE
    with pytest.raises(PermissionDenied):
        await service.add_role(MODERATOR.id, GUILD, MEMBER.id, MOD_ROLE)
    with pytest.raises(PermissionDenied):
        await service.add_role(MEMBER.id, GUILD, MEMBER.id, HELPER_ROLE)
    with pytest.raises(NotFound):
        await service.add_role(MODERATOR.id, GUILD, OUTSIDER.id, HELPER_ROLE)
    assert world.bus.events == []


async def test_kick_removes_the_member_and_tells_them_and_the_guild(world: World) -> None:
    await world.members().kick(MODERATOR.id, GUILD, HELPER.id)
    assert world.member(HELPER) is None
    remove, gone = world.bus.events
    assert (remove.type, remove.affects) == ("GUILD_MEMBER_REMOVE", frozenset({HELPER.id}))
    assert (gone.type, gone.user_ids) == ("GUILD_DELETE", frozenset({HELPER.id}))


@pytest.mark.parametrize(
    ("caller", "target"), [(MEMBER, HELPER), (MODERATOR, PEER), (MODERATOR, OWNER)]
)
async def test_kick_needs_the_permission_and_a_higher_rank(
    world: World, caller: User, target: User
) -> None:
    with pytest.raises(PermissionDenied):
        await world.members().kick(caller.id, GUILD, target.id)
    assert world.member(target) is not None
    assert world.bus.events == []


async def test_a_member_leaves_but_the_owner_cannot(world: World) -> None:
    await world.members().leave(MEMBER.id, GUILD)
    assert world.member(MEMBER) is None
    assert world.bus.types == ["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]
    with pytest.raises(Conflict) as refused:
        await world.members().leave(OWNER.id, GUILD)
    assert refused.value.code == "OWNER_CANNOT_LEAVE"
    with pytest.raises(NotFound):
        await world.members().leave(OUTSIDER.id, GUILD)
