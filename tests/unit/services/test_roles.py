"""RoleService: listing, creating, changing, deleting and reordering roles, within the hierarchy."""

from __future__ import annotations

import pytest

from accord.core.entities import Role
from accord.core.errors import Conflict, LimitReached, NotFound, PermissionDenied, ValidationError
from accord.core.permissions import DEFAULT_EVERYONE, Permission
from accord.core.services.roles import MAX_ROLES_PER_GUILD, RoleFields
from accord.core.snowflake import Snowflake
from tests.unit.services.world import (
    GUILD,
    GUILD_MEMBERS,
    HELPER,
    HELPER_ROLE,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    OUTSIDER,
    OWNER,
    World,
)


def positions(world: World) -> dict[Snowflake, int]:
    return {r.id: r.position for r in world.storage.roles.rows.values()}


async def test_members_list_the_roles_in_position_order(world: World) -> None:
    listed = await world.roles().list_roles(MEMBER.id, GUILD)
    assert [r["id"] for r in listed] == [str(GUILD), str(HELPER_ROLE), str(MOD_ROLE)]
    with pytest.raises(NotFound):
        await world.roles().list_roles(OUTSIDER.id, GUILD)


async def test_a_new_role_goes_just_above_everyone_and_the_rest_move_up(world: World) -> None:
    payload = await world.roles().create(MODERATOR.id, GUILD, RoleFields(name="new"))
    created = Snowflake(int(payload["id"]))
    assert positions(world) == {GUILD: 0, created: 1, HELPER_ROLE: 2, MOD_ROLE: 3}
    assert payload["permissions"] == str(int(DEFAULT_EVERYONE))  # @everyone's, by default
    assert [(e.type, e.data["role"]["id"]) for e in world.bus.events] == [
        ("GUILD_ROLE_UPDATE", str(HELPER_ROLE)),
        ("GUILD_ROLE_UPDATE", str(MOD_ROLE)),
        ("GUILD_ROLE_CREATE", str(created)),
    ]


async def test_create_needs_manage_roles_and_grants_only_what_the_caller_holds(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied):
        await world.roles().create(MEMBER.id, GUILD, RoleFields(name="x"))
    admin = RoleFields(name="x", permissions=str(int(Permission.ADMINISTRATOR)))
    with pytest.raises(PermissionDenied):
        await world.roles().create(MODERATOR.id, GUILD, admin)
    await world.roles().create(OWNER.id, GUILD, admin)  # the owner holds everything
    assert world.bus.types[-1] == "GUILD_ROLE_CREATE"


async def test_create_refuses_bad_fields_and_the_251st_role(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.roles().create(MODERATOR.id, GUILD, RoleFields(color="red"))
    for n in range(MAX_ROLES_PER_GUILD - 3):
        world.role(Role(Snowflake(10_000 + n), GUILD, f"r{n}", Permission(0), position=1))
    with pytest.raises(LimitReached) as refused:
        await world.roles().create(MODERATOR.id, GUILD, RoleFields())
    assert refused.value.discord_code == 30005


async def test_modify_tells_the_holders_when_permissions_change(world: World) -> None:
    fields = RoleFields(name="helpers!", permissions=str(int(Permission.KICK_MEMBERS)))
    payload = await world.roles().modify(MODERATOR.id, GUILD, HELPER_ROLE, fields)
    assert (payload["name"], payload["permissions"]) == (
        "helpers!",
        str(int(Permission.KICK_MEMBERS)),
    )
    [event] = world.bus.events
    assert (event.type, event.affects) == ("GUILD_ROLE_UPDATE", frozenset({HELPER.id}))
    await world.roles().modify(MODERATOR.id, GUILD, HELPER_ROLE, RoleFields(hoist=True))
    assert world.bus.events[-1].affects == frozenset()


async def test_modify_of_everyone_reaches_every_member(world: World) -> None:
    fields = RoleFields(permissions=str(int(Permission.VIEW_CHANNEL)))
    await world.roles().modify(MODERATOR.id, GUILD, GUILD, fields)
    assert world.bus.events[0].affects == frozenset(u.id for u in GUILD_MEMBERS)


async def test_modify_without_a_change_publishes_nothing(world: World) -> None:
    await world.roles().modify(MODERATOR.id, GUILD, HELPER_ROLE, RoleFields(name="helpers"))
    assert world.bus.events == []


async def test_modify_refuses_roles_at_or_above_the_caller_and_renaming_everyone(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied):
        await world.roles().modify(MODERATOR.id, GUILD, MOD_ROLE, RoleFields(name="x"))
    with pytest.raises(Conflict) as refused:
        await world.roles().modify(OWNER.id, GUILD, GUILD, RoleFields(name="everyone"))
    assert refused.value.discord_code == 50028
    with pytest.raises(NotFound):
        await world.roles().modify(MODERATOR.id, GUILD, Snowflake(999), RoleFields(name="x"))
    with pytest.raises(PermissionDenied):
        await world.roles().modify(HELPER.id, GUILD, HELPER_ROLE, RoleFields(name="x"))


async def test_delete_unassigns_the_role_and_tells_its_holders(world: World) -> None:
    await world.roles().delete(MODERATOR.id, GUILD, HELPER_ROLE)
    assert HELPER_ROLE not in world.storage.roles.rows
    assert world.roles_of(HELPER) == ()
    [event] = world.bus.events
    assert (event.type, event.affects) == ("GUILD_ROLE_DELETE", frozenset({HELPER.id}))
    assert event.data == {"guild_id": str(GUILD), "role_id": str(HELPER_ROLE)}


async def test_delete_refuses_everyone_managed_higher_and_unknown_roles(world: World) -> None:
    managed = world.role(Role(Snowflake(300), GUILD, "bot", Permission(0), 1, managed=True))
    with pytest.raises(Conflict):
        await world.roles().delete(OWNER.id, GUILD, GUILD)
    with pytest.raises(PermissionDenied):
        await world.roles().delete(OWNER.id, GUILD, managed.id)
    with pytest.raises(PermissionDenied):
        await world.roles().delete(MODERATOR.id, GUILD, MOD_ROLE)
    with pytest.raises(NotFound):
        await world.roles().delete(MODERATOR.id, GUILD, Snowflake(999))
    with pytest.raises(PermissionDenied):
        await world.roles().delete(MEMBER.id, GUILD, HELPER_ROLE)
    assert world.bus.events == []


async def test_reorder_moves_roles_below_the_caller(world: World) -> None:
    low = world.role(Role(Snowflake(300), GUILD, "low", Permission(0), position=1))
    moves = [(str(GUILD), 0), (str(low.id), 2), (str(HELPER_ROLE), 1)]
    listed = await world.roles().reorder(OWNER.id, GUILD, moves)
    assert positions(world)[low.id] == 2
    assert len(listed) == 4
    assert [e.data["role"]["id"] for e in world.bus.events] == [str(low.id)]


@pytest.mark.parametrize(
    ("moves", "error"),
    [
        ([(str(MOD_ROLE), 1)], PermissionDenied),  # the caller's own level
        ([(str(HELPER_ROLE), 2)], PermissionDenied),  # up to the caller's level
        ([(str(HELPER_ROLE), 0)], Conflict),  # @everyone alone is at 0
        ([(str(GUILD), 1)], Conflict),
        ([("999", 1)], NotFound),
        ([("x", 1)], ValidationError),
        ([(str(HELPER_ROLE), MAX_ROLES_PER_GUILD + 1)], ValidationError),
        ([(str(n), 1) for n in range(MAX_ROLES_PER_GUILD + 1)], ValidationError),
    ],
)
async def test_reorder_refuses(
    world: World, moves: list[tuple[object, object]], error: type
) -> None:
    with pytest.raises(error):
        await world.roles().reorder(MODERATOR.id, GUILD, moves)
    assert positions(world)[HELPER_ROLE] == 1
    assert world.bus.events == []


async def test_reorder_needs_manage_roles(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.roles().reorder(MEMBER.id, GUILD, [(str(HELPER_ROLE), 1)])
